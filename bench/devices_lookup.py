"""Benchmark: `GET /api/v1/devices?serial=` over 100,000 devices, next to the ceiling C.

    .venv/bin/python bench/devices_lookup.py sqlite:////tmp/bench-import/import.db
    .venv/bin/python bench/devices_lookup.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

A SQLite URL names a file that `bench/import_devices.py --keep /tmp/bench-import` built. A
PostgreSQL URL names a server: the database `bench_register` is built there once (10,000
sites, then the same 100,000-device file imported through the service). Then the app is
served (1 uvicorn worker) and loaded with wrk, random serials from a Lua table, interleaved
with the constant ceiling: C, device serials, C, component serials, C, customer token.
Traffic goes to 127.0.0.1 only; about a minute of load.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ensure_database, random_paths_lua, serve, table, wrk  # noqa: E402

NAME = "bench_register"
DEVICES = 100_000


def postgres_database(server_url: str) -> str:
    url, created = ensure_database(server_url, NAME)
    if not created:
        return url
    import tempfile

    import import_devices

    from inventory_service.assets import device_import
    from inventory_service.platform.db import Database
    from seed.loader import SEED_ACTOR

    os.environ["INVENTORY_DATABASE_URL"] = url
    folder = Path(tempfile.mkdtemp(prefix="bench-register-"))
    codes = import_devices.build_sites(url)
    import_devices.write_file(folder / "devices.csv", codes, DEVICES)
    db = Database(url)
    with db.transaction() as session:
        device_import.import_devices(
            session,
            actor=SEED_ACTOR,
            content=(folder / "devices.csv").read_bytes(),
            filename="devices.csv",
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    db.dispose()
    return url


def tokens(url: str) -> tuple[str, str]:
    from inventory_service.platform import auth
    from inventory_service.platform.db import Database

    db = Database(url)
    with db.transaction() as session:
        admin = auth.create_token(session, role="admin", name="bench").token
        customer = auth.create_token(session, role="customer", customer_code="LNXX").token
    db.dispose()
    return admin, customer


def main() -> None:
    url = sys.argv[1]
    if make_url(url).get_backend_name() == "postgresql":
        url = postgres_database(url)
    admin, customer = tokens(url)
    rng = random.Random(3)
    picks = [rng.randrange(DEVICES) for _ in range(2000)]
    device_paths = [f"/api/v1/devices?serial=2102{i:08d}" for i in picks]
    component_paths = [f"/api/v1/devices?serial=P{i:08d}" for i in picks]
    with serve(url) as base:
        ceiling = f"{base}/bench/ceiling"
        runs, ceilings = [], []
        for name, paths, token in (
            ("device serial (admin)", device_paths, admin),
            ("component serial (admin)", component_paths, admin),
            ("device serial (customer LNXX)", device_paths, customer),
        ):
            ceilings.append(wrk("ceiling C", ceiling))
            lua = random_paths_lua(paths, headers={"Authorization": f"Bearer {token}"})
            runs.append(wrk(name, base + "/", lua=lua))
    print(f"\n{make_url(url).get_backend_name()}: GET /api/v1/devices?serial= over 100k devices")
    print(table(runs, ceilings))


if __name__ == "__main__":
    main()
