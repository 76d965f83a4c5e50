"""Benchmark of the replacement report on PostgreSQL (PERFORMANCE.md).

    .venv/bin/python bench/reports.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Creates (or reuses) the database `bench_report` on that server: the demo customers, parts and
warehouses, 200 sites, 20,000 devices and 120,000 replacements spread evenly over 2026
(10,000 a month, far above the contract's real volume), each with its reservation and its
two spare units, written by SQL for speed (no ledger: the report does not read it for rows).
Then serves the app (1 uvicorn worker) and loads one month's report with wrk at 2
connections (a report is a heavy, rare request), interleaving the constant ceiling C; then
times the CLI writing the whole year as XLSX. Bounded: about 2 minutes. 127.0.0.1 only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ensure_database, serve, table, wrk  # noqa: E402

NAME = "bench_report"
REPLACEMENTS = 120_000
SITES = 200
DEVICES = 20_000


def build(server_url: str) -> tuple[str, dict[str, str]]:
    url, _ = ensure_database(server_url, NAME)
    os.environ["INVENTORY_DATABASE_URL"] = url
    from inventory_service.platform import auth, migrate
    from inventory_service.platform.db import Database
    from seed.loader import load_customers, load_parts, load_warehouses

    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        load_customers(session)
        load_parts(session)
        load_warehouses(session)
        have = session.exec(text("SELECT count(*) FROM replacement")).one()[0]  # type: ignore[call-overload]
        if have < REPLACEMENTS:
            started = time.monotonic()
            for sql in BUILD:
                session.exec(  # type: ignore[call-overload]
                    text(sql).bindparams(
                        **{
                            k: v
                            for k, v in {"s": SITES, "d": DEVICES, "n": REPLACEMENTS}.items()
                            if f":{k}" in sql
                        }
                    )
                )
            print(f"built in {time.monotonic() - started:.0f} s", file=sys.stderr)
        session.exec(text("ANALYZE"))  # type: ignore[call-overload]
        reporter = auth.create_token(session, role="reporter", name="bench-report").token
        first = session.exec(text("SELECT code FROM customer ORDER BY id LIMIT 1")).one()[0]  # type: ignore[call-overload]
        customer = auth.create_token(session, role="customer", customer_code=first).token
    db.dispose()
    return url, {"reporter": reporter, "customer": customer}


BUILD = [
    """
    INSERT INTO site (code, name, customer_id, city, lat, lon, hub_distance_km,
        hub_band_minutes, created_at, updated_at)
    SELECT 'BS-' || g, '站点' || g, c.id, 'Shenyang', 41.8, 123.4, 1.0, 30, now(), now()
    FROM generate_series(1, :s) g
    JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM customer) c
      ON c.k = g % (SELECT count(*) FROM customer)
    """,
    """
    INSERT INTO device (site_id, vendor, model, hostname, serial, status, config, version,
        created_at, updated_at)
    SELECT s.id, 'Dell', 'R750', 'h' || g, 'BD' || lpad(g::text, 7, '0'), 'in_service',
        '{}'::jsonb, 1, now(), now()
    FROM generate_series(1, :d) g
    JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM site WHERE code LIKE 'BS-%') s
      ON s.k = g % :s
    """,
    # Two units per replacement: the installed one (odd g) and the removed one (even g).
    """
    INSERT INTO spare_unit (part_id, serial, warehouse_id, genuine, condition, status,
        received_at, updated_at)
    SELECT p.id, 'BR' || lpad(g::text, 8, '0'), (SELECT min(id) FROM warehouse), true, 'new',
        CASE WHEN g % 2 = 1 THEN 'installed' ELSE 'faulty' END, now(), now()
    FROM generate_series(1, 2 * :n) g
    JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM part) p
      ON p.k = ((g + 1) / 2) % (SELECT count(*) FROM part)
    """,
    """
    INSERT INTO reservation (site_id, part_id, spare_id, device_id, warehouse_id, ticket,
        engineer, status, eta_minutes, substitute, actor, created_at, expires_at, updated_at)
    SELECT d.site_id, u.part_id, u.id, d.id, u.warehouse_id, 'T' || g, '工程师' || (g % 40),
        'fulfilled', 60, false, 'bench', now(), now(), now()
    FROM generate_series(1, :n) g
    JOIN spare_unit u ON u.serial = 'BR' || lpad((2 * g - 1)::text, 8, '0')
    JOIN device d ON d.serial = 'BD' || lpad((g % :d + 1)::text, 7, '0')
    """,
    """
    INSERT INTO replacement (reservation_id, device_id, site_id, customer_id, slot,
        installed_spare_id, removed_spare_id, removed_serial, installed_serial, part_id, reason,
        fault_level, fault_impact, fault_reported_at, arrived_at, replaced_at, duration_minutes,
        within_deadline, arrival_minutes, response_limit_minutes, arrived_within_response,
        spare_on_site_within_deadline, engineer, customer_confirmed_by, engineer_confirmed_by,
        actor, created_at, updated_at)
    SELECT r.id, r.device_id, r.site_id, s.customer_id, 'PSU1', r.spare_id, old.id, old.serial,
        u.serial, r.part_id, '电源模块故障',
        (ARRAY['critical', 'major', 'serious', 'minor'])[r.id % 4 + 1],
        '单电源运行，业务未中断',
        t.at - make_interval(mins => 20 + (r.id * 37) % 400), t.at, t.at,
        20 + (r.id * 37) % 400, 20 + (r.id * 37) % 400 <= 240,
        20 + (r.id * 37) % 400, s.hub_band_minutes, 20 + (r.id * 37) % 400 <= s.hub_band_minutes,
        20 + (r.id * 37) % 400 <= 240, r.engineer, '客户', r.engineer, 'bench', now(), now()
    FROM reservation r
    JOIN site s ON s.id = r.site_id
    JOIN spare_unit u ON u.id = r.spare_id
    JOIN spare_unit old ON old.serial = 'BR' || lpad((substr(u.serial, 3)::int + 1)::text, 8, '0')
    CROSS JOIN LATERAL (SELECT timestamptz '2025-12-31 16:00+00'
        + (r.id - 1) * (interval '365 days' / :n) AS at) t
    WHERE r.ticket LIKE 'T%'
    """,
]


def main() -> None:
    server = (
        sys.argv[1]
        if len(sys.argv) > 1
        else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    url, tokens = build(server)
    auth = {"Authorization": f"Bearer {tokens['reporter']}"}
    customer = {"Authorization": f"Bearer {tokens['customer']}"}
    report = "/api/v1/reports/replacements?month=2026-10"
    ceilings, results = [], []
    with serve(url) as base:
        runs = [
            ("JSON, one month (10,000 rows)", report, auth),
            ("CSV zh, one month", report + "&format=csv&lang=zh", auth),
            ("XLSX zh, one month", report + "&format=xlsx&lang=zh", auth),
            ("JSON, one customer's month", report, customer),
        ]
        for name, path, headers in runs:
            ceilings.append(wrk("C (constant endpoint)", f"{base}/bench/ceiling", seconds=5))
            results.append(
                wrk(name, base + path, connections=2, threads=1, seconds=10, headers=headers)
            )
    print(table(results, ceilings))
    env = os.environ | {"INVENTORY_DATABASE_URL": url}
    # Run in a child of its own so that its peak memory is not mixed with the server's.
    measure = (
        "import resource, sys, time\n"
        "from inventory_service.cli import app\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(f'{time.monotonic() - t:.1f} s, max RSS {peak:.0f} MB', file=sys.stderr)\n"
    )
    args = ["report", "replacements", "--from", "2026-01-01", "--to", "2026-12-31"]
    args += ["--format", "xlsx", "-o", "/tmp/bench-report-2026.xlsx"]
    done = subprocess.run(
        [sys.executable, "-c", measure, *args], env=env, check=True, capture_output=True, text=True
    )
    figures = done.stderr.strip().splitlines()[-1]
    size = Path("/tmp/bench-report-2026.xlsx").stat().st_size / 1e6
    print(f"\nCLI, whole year as XLSX ({REPLACEMENTS:,} rows): {figures}, {size:.1f} MB file")


if __name__ == "__main__":
    main()
