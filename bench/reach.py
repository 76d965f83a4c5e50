"""Benchmark of reachability and coverage at real size (PERFORMANCE.md).

    .venv/bin/python bench/reach.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Builds (once) the database `bench_reach` on that server with bulk Core inserts: 500
warehouses and 10,000 sites spread over Liaoning, 100 parts in 20 categories (5 wattages
each), 1,000,000 spare units (each part stocked at ~30% of the warehouses; every tenth part,
the top wattage of its category and so without substitutes, only at 2 warehouses: coverage
has gaps; 1 in 13 units reserved, 1 in 97 not genuine), 100,000
devices with 3 components each. Then: EXPLAIN ANALYZE of the availability aggregate, the
coverage run time (10,000 sites × their installed parts), and wrk on `GET /availability`
with random site/part keys (8 clients), interleaved with the constant ceiling C (1 uvicorn
worker). Bounded: ~1 min build, ~1 min of load. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import random
import sys
import time

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402

NAME = "bench_reach"
SITES, WAREHOUSES, PARTS, DEVICES, UNITS = 10_000, 500, 100, 100_000, 1_000_000
LAT, LON = (38.8, 43.4), (119.0, 125.5)


def build(server_url: str, name: str = NAME) -> str:
    url, created = harness.ensure_database(server_url, name)
    if not created:
        return url
    from inventory_service.platform import migrate
    from inventory_service.platform.settings import get_settings
    from inventory_service.reach.bands import band_minutes
    from inventory_service.reach.geo import distance_km
    from models import Component, Customer, Device, Part, Site, Warehouse

    migrate.upgrade(url)
    cfg = get_settings()
    rnd = random.Random(7)
    started = time.monotonic()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Customer), [{"code": f"C{i:02d}", "name": f"C{i}"} for i in range(10)])
        warehouses = []
        for i in range(WAREHOUSES):
            lat, lon = (
                (cfg.hub_lat, cfg.hub_lon) if i == 0 else (rnd.uniform(*LAT), rnd.uniform(*LON))
            )
            warehouses.append(
                {
                    "code": f"WH{i:03d}",
                    "name": f"WH{i}",
                    "lat": lat,
                    "lon": lon,
                    "kind": "central" if i == 0 else "depot",
                    "handling_minutes": 0 if i == 0 else rnd.choice([0, 10, 15, 30]),
                    "hub_distance_km": distance_km(cfg.hub_lat, cfg.hub_lon, lat, lon),
                }
            )
        conn.execute(insert(Warehouse), warehouses)
        sites = []
        customer_ids = [r[0] for r in conn.execute(text("SELECT id FROM customer ORDER BY id"))]
        for i in range(SITES):
            lat, lon = rnd.uniform(*LAT), rnd.uniform(*LON)
            km = distance_km(cfg.hub_lat, cfg.hub_lon, lat, lon)
            sites.append(
                {
                    "code": f"S{i:05d}",
                    "name": f"S{i}",
                    "customer_id": customer_ids[i % 10],
                    "city": "Liaoning",
                    "lat": lat,
                    "lon": lon,
                    "hub_distance_km": km,
                    "hub_band_minutes": band_minutes(km),
                }
            )
        conn.execute(insert(Site), sites)
        conn.execute(
            insert(Part),
            [
                {
                    "part_number": f"P{p:03d}",
                    "name": f"P{p}",
                    "vendor": "Huawei",
                    "category": f"cat{p // 5:02d}",
                    "specs": {"watts": 500 + 100 * (p % 5), "input": "AC"},
                }
                for p in range(PARTS)
            ],
        )
        part_ids = [r[0] for r in conn.execute(text("SELECT id FROM part ORDER BY part_number"))]
        wh_ids = [r[0] for r in conn.execute(text("SELECT id FROM warehouse ORDER BY code"))]
        combos = [
            (part_ids[p], wh_ids[w])
            for p in range(PARTS)
            for w in range(WAREHOUSES)
            if ((w % 250 == p % 250) if p % 10 == 9 else (w * 7 + p * 13) % 10 < 3)
        ]
        per_combo = UNITS // len(combos) + 1
        conn.execute(text("CREATE TEMP TABLE combo (part_id int, warehouse_id int, k int)"))
        conn.execute(
            text("INSERT INTO combo VALUES (:p, :w, :k)"),
            [{"p": p, "w": w, "k": k} for k, (p, w) in enumerate(combos)],
        )
        conn.execute(
            text("""
            INSERT INTO spare_unit (part_id, serial, warehouse_id, genuine, supplier, channel,
                document, condition, status, received_at, updated_at)
            SELECT c.part_id, 'R' || c.k || '-' || g, c.warehouse_id, (c.k + g) % 97 <> 0, 's',
                'c', 'd', 'new', CASE WHEN (c.k + g) % 13 = 0 THEN 'reserved' ELSE 'available' END,
                now() - make_interval(mins => g), now()
            FROM combo c CROSS JOIN generate_series(1, :n) g
            WHERE c.k * :n + g <= :units
        """),
            {"n": per_combo, "units": UNITS},
        )
        # The service keeps spare_count with every unit change; bulk rows need it filled once.
        conn.execute(
            text(
                "INSERT INTO spare_count (part_id, warehouse_id, status, genuine, units) "
                "SELECT part_id, warehouse_id, status, genuine, count(*) FROM spare_unit "
                "WHERE warehouse_id IS NOT NULL GROUP BY part_id, warehouse_id, status, genuine"
            )
        )
        site_ids = [r[0] for r in conn.execute(text("SELECT id FROM site ORDER BY code"))]
        conn.execute(
            insert(Device),
            [
                {
                    "site_id": site_ids[i % SITES],
                    "vendor": "Huawei",
                    "model": "2288H",
                    "hostname": f"h{i}",
                    "serial": f"D{i:06d}",
                    "status": "in_service",
                    "config": {},
                }
                for i in range(DEVICES)
            ],
        )
        device_ids = [r[0] for r in conn.execute(text("SELECT id FROM device ORDER BY id"))]
        conn.execute(
            insert(Component),
            [
                {
                    "device_id": d,
                    "slot": f"S{j}",
                    "part_id": part_ids[rnd.randrange(PARTS)],
                    "serial": f"C{d}-{j}",
                }
                for d in device_ids
                for j in range(3)
            ],
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return url


def explain(url: str) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM part WHERE category = 'cat03'"))]
        plan = conn.execute(
            text("""
            EXPLAIN (ANALYZE, BUFFERS) SELECT warehouse_id, part_id, status, genuine, units
            FROM spare_count WHERE part_id = ANY(:ids)
              AND status NOT IN ('installed', 'scrapped') AND units > 0
        """),
            {"ids": ids},
        ).all()
    engine.dispose()
    print("\n".join(f"    {r[0]}" for r in plan))


def time_coverage(url: str) -> None:
    from inventory_service.platform import auth
    from inventory_service.platform.db import Database
    from inventory_service.reach import coverage

    db = Database(url)
    with db.transaction(write=False) as session:
        started = time.monotonic()
        result = coverage.compute(session, actor=auth.SYSTEM, progress=True)
        took = time.monotonic() - started
    db.dispose()
    print(
        f"coverage: {len(result.pairs):,} pairs over {SITES:,} sites, "
        f"{result.share_covered:.1%} covered, {len(result.plan)} plan lines, {took:.2f} s"
    )


def availability_requests(url: str) -> tuple[str, list[str]]:
    """A new dispatcher token on the data set at `url`, and 2,000 availability paths of
    random site × part (the same 2,000 in every run)."""
    from inventory_service.platform import auth
    from inventory_service.platform.db import Database

    db = Database(url)
    with db.transaction() as session:
        token = auth.create_token(session, role="dispatcher", name="bench").token
    db.dispose()
    rnd = random.Random(1)
    paths = [
        f"/api/v1/availability?site_code=S{rnd.randrange(SITES):05d}"
        f"&part_number=P{rnd.randrange(PARTS):03d}"
        for _ in range(2000)
    ]
    return token, paths


def main() -> None:
    url = build(sys.argv[1])
    explain(url)
    time_coverage(url)
    token, paths = availability_requests(url)
    headers = {"Authorization": f"Bearer {token}"}
    lua = harness.random_paths_lua(paths, headers=headers)
    clients = int(os.environ.get("BENCH_CLIENTS", "8"))
    ceilings, results = [], []
    with harness.serve(url) as base:
        for _ in range(2):
            ceilings.append(
                harness.wrk("C /bench/ceiling", f"{base}/bench/ceiling", connections=clients)
            )
            results.append(
                harness.wrk(
                    "GET /availability (random site × part)",
                    f"{base}/api/v1/availability",
                    connections=clients,
                    lua=lua,
                )
            )
    print(harness.table(results, ceilings))


if __name__ == "__main__":
    main()
