"""Benchmark of the spares reads over 1,000,000 units on PostgreSQL (PERFORMANCE.md).

    .venv/bin/python bench/spares.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Creates (or reuses) the database `bench_stock` on that server: the demo parts and warehouses
and 1,000,000 units with one `received` ledger row each, written by SQL for speed; then serves
the app (1 uvicorn worker) and loads it with wrk, interleaving the constant ceiling C with each
endpoint. Prints a Markdown table of req/s, p50, p99 and the ratio to C. Bounded: ~2 minutes
of load after a ~1 minute build. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
UNITS = 1_000_000
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ensure_database  # noqa: E402

NAME = "bench_stock"


def build(server_url: str) -> str:
    url, _ = ensure_database(server_url, NAME)
    os.environ["INVENTORY_DATABASE_URL"] = url
    from inventory_service.platform import migrate
    from inventory_service.platform.db import Database
    from seed.loader import load_customers, load_parts, load_warehouses

    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        load_customers(session)
        load_parts(session)
        load_warehouses(session)
        have = session.exec(text("SELECT count(*) FROM spare_unit")).one()[0]  # type: ignore[call-overload]
        if have < UNITS:
            started = time.monotonic()
            session.exec(
                text("""
                INSERT INTO spare_unit (part_id, serial, warehouse_id, genuine, supplier, channel,
                    document, condition, status, received_at, updated_at)
                SELECT p.id, 'BS' || lpad(g::text, 8, '0'), w.id, g % 97 <> 0, 'supplier',
                    'channel', 'PO-' || (g % 1000), CASE WHEN g % 11 = 0 THEN 'refurbished'
                    ELSE 'new' END, CASE WHEN g % 13 = 0 THEN 'reserved' ELSE 'available' END,
                    now(), now()
                FROM generate_series(1, :n) g
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM part) p
                  ON p.k = g % (SELECT count(*) FROM part)
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM warehouse) w
                  ON w.k = (g / 7) % (SELECT count(*) FROM warehouse)
            """).bindparams(n=UNITS)
            )  # type: ignore[call-overload]
            session.exec(
                text("""
                INSERT INTO movement (spare_id, action, from_status, to_status,
                    from_warehouse_id, to_warehouse_id, actor, reference, at)
                SELECT id, 'received', NULL, status, NULL, warehouse_id, 'bench', document, now()
                FROM spare_unit
            """)
            )  # type: ignore[call-overload]
            print(f"built {UNITS:,} units in {time.monotonic() - started:.0f} s", file=sys.stderr)
        session.exec(text("ANALYZE"))  # type: ignore[call-overload]
        from inventory_service.platform import auth

        token = auth.create_token(session, role="warehouse", name="bench").token
    db.dispose()
    os.environ["BENCH_TOKEN"] = token
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) / 1000 if unit == "us" else float(number) * (1000 if unit == "s" else 1)


def wrk(url: str, token: str, lua: str | None = None) -> tuple[float, float, float, int]:
    args = ["wrk", "-t2", "-c32", "--latency", "-H", f"Authorization: Bearer {token}"]
    if lua:
        handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        handle.write(lua)
        handle.close()
        args += ["-s", handle.name]
    subprocess.run([*args, "-d3s", url], capture_output=True, check=True)
    out = subprocess.run([*args, "-d10s", url], capture_output=True, check=True, text=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return (
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        int(bad.group(1)) if bad else 0,
    )


SERIAL_LUA = """
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/api/v1/spares?serial=BS%08d", math.random(1, %d)))
end
""".replace("%d)))", f"{UNITS})))")


def main() -> None:
    url = build(sys.argv[1])
    token = os.environ["BENCH_TOKEN"]
    port = free_port()
    env = os.environ | {
        "INVENTORY_DATABASE_URL": url,
        "INVENTORY_BENCHMARK_ENDPOINTS": "true",
        "INVENTORY_LOG_LEVEL": "WARNING",
        "INVENTORY_AUTH_CACHE_SECONDS": "60",
        "INVENTORY_ENVIRONMENT": "production",
    }
    exe = Path(sys.executable).with_name("inventory-service")
    server = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        cases = [
            ("GET /spares?serial= (random of 1M)", f"{base}/api/v1/spares", SERIAL_LUA),
            (
                "GET /spares?part_number=&warehouse_code= (50 rows)",
                f"{base}/api/v1/spares?part_number=PAC-2200WF&warehouse_code=WH-JZ",
                None,
            ),
            (
                "GET /spares?part_number=&warehouse_code= (part not stocked there: 0 rows)",
                f"{base}/api/v1/spares?part_number=PAC-2200WF&warehouse_code=WH-DL",
                None,
            ),
            (
                "GET /spares/summary?part_number= (~24k units)",
                f"{base}/api/v1/spares/summary?part_number=PAC-2200WF",
                None,
            ),
        ]
        print("| endpoint | req/s | p50 ms | p99 ms | C req/s | ratio to C | non-2xx |")
        print("|---|---|---|---|---|---|---|")
        for name, target, lua in cases:
            ceiling = wrk(f"{base}/bench/ceiling", token)
            rps, p50, p99, bad = wrk(target, token, lua)
            print(
                f"| {name} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {ceiling[0]:,.0f} | "
                f"{rps / ceiling[0]:.3f} | {bad} |",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
