"""Benchmark: import 100,000 devices from one CSV file into a fresh SQLite database.

    .venv/bin/python bench/import_devices.py [--devices 100000] [--keep DIR]

Migrates a new SQLite file, loads the demo customers, parts and 10,000 sites (through the
services), writes a CSV of N devices with 3 components each, then times
`inventory-service import devices FILE` end to end (a subprocess: start-up, parse, validate,
write, commit). Prints the seconds and the rows written. Target (PERFORMANCE.md): ≤ 10 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITES = 10_000


def build_sites(url: str) -> list[str]:
    """Migrate `url`; load the demo customers and parts and 10,000 sites; the site codes."""
    os.environ["INVENTORY_DATABASE_URL"] = url
    from inventory_service.assets import places
    from inventory_service.platform import migrate
    from inventory_service.platform.db import Database
    from models.place import SiteCreate
    from seed.loader import SEED_ACTOR, load_customers, load_parts

    migrate.upgrade(url)
    db = Database(url)
    rng = random.Random(7)
    codes = [f"S{i:05d}" for i in range(SITES)]
    with db.transaction() as session:
        load_customers(session)
        load_parts(session)
        for code in codes:
            places.create_site(
                session,
                actor=SEED_ACTOR,
                data=SiteCreate(
                    code=code,
                    name=code,
                    customer_code="LNXX" if rng.random() < 0.6 else "LNGRID",
                    city="Shenyang",
                    lat=41.8 + rng.uniform(-1, 1),
                    lon=123.4 + rng.uniform(-1, 1),
                    distance_km_override=rng.uniform(1, 400),
                ),
            )
    db.dispose()
    return codes


def write_file(path: Path, codes: list[str], devices: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "site_code",
                "vendor",
                "model",
                "hostname",
                "serial",
                "firmware_version",
                "patch_level",
                "config",
                "components",
            ]
        )
        for i in range(devices):
            writer.writerow(
                [
                    rng.choice(codes),
                    "Huawei",
                    "NE40E-X8",
                    f"PE-{i:06d}",
                    f"2102{i:08d}",
                    "V800R021C10",
                    f"V800R021C10SPC{rng.choice((600, 700, 800))}",
                    '{"role": "PE"}',
                    f"MPU0=CR5D00E4XF90:M{i:08d};PSU1=PAC-2200WF:P{i:08d};"
                    f"FAN1=FAN-NE40E-X8:F{i:08d}",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the database and file in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path, csv_path = folder / "import.db", folder / "devices.csv"
    db_path.unlink(missing_ok=True)
    started = time.monotonic()
    codes = build_sites(f"sqlite:///{db_path}")
    write_file(csv_path, codes, args.devices)
    print(
        f"prepared {SITES:,} sites and a {csv_path.stat().st_size / 1e6:.1f} MB file "
        f"in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    exe = Path(sys.executable).with_name("inventory-service")
    env = os.environ | {"INVENTORY_DATABASE_URL": f"sqlite:///{db_path}"}
    started = time.monotonic()
    subprocess.run([str(exe), "import", "devices", str(csv_path)], env=env, check=True, cwd=ROOT)
    seconds = time.monotonic() - started
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        counted = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("device", "component", "device_history")
        ]
    print(
        f"imported {args.devices:,} devices in {seconds:.1f} s "
        f"(device, component, device_history rows: {counted})"
    )


if __name__ == "__main__":
    main()
