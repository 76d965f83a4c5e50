"""Benchmark of `POST /reservations` under 32 clients on PostgreSQL, next to availability.

    .venv/bin/python bench/reservations.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Uses the reachability data set (`bench/reach.py` builds `bench_reach` once: 1,000,000 units,
10,000 sites, 500 warehouses). One uvicorn worker; interleaved C, availability (8 clients),
C, reservations (32 clients, a fresh Idempotency-Key per request, random site and part, no
deadline requirement so that most requests book a unit). Afterwards the books are checked:
no unit is held by two live reservations, reserved units equal live reservations, and every
reservation has its ledger row. Bounded: 2 × (3 s warm-up + 10 s) per endpoint.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import create_engine, text

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness, reach  # noqa: E402

RESERVE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local counter = 0
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  counter = counter + 1
  local site = string.format("S%%05d", math.random(0, %(sites)d - 1))
  local part = string.format("P%%03d", math.random(0, %(parts)d - 1))
  wrk.headers["Idempotency-Key"] = string.format("bench-%%d-%%d-%%d", os.time(),
    math.random(1, 1000000000), counter)
  local body = string.format(
    '{"site_code":"%%s","part_number":"%%s","ticket":"BENCH","engineer":"wrk",' ..
    '"require_within_deadline":false}', site, part)
  return wrk.format(nil, "/api/v1/reservations", nil, body)
end
"""


def check_books(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        doubles = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT spare_id FROM reservation "
                "WHERE status IN ('active','dispatched') GROUP BY spare_id HAVING count(*) > 1) d"
            )
        ).scalar_one()
        live = conn.execute(
            text("SELECT count(*) FROM reservation WHERE status IN ('active','dispatched')")
        ).scalar_one()
        booked = conn.execute(
            text(
                "SELECT count(*) FROM spare_unit u JOIN reservation r ON r.spare_id = u.id "
                "AND r.status = 'active' WHERE u.status = 'reserved'"
            )
        ).scalar_one()
        active = conn.execute(
            text("SELECT count(*) FROM reservation WHERE status = 'active'")
        ).scalar_one()
        rows = conn.execute(
            text("SELECT count(*) FROM movement WHERE action = 'reserved'")
        ).scalar_one()
        total = conn.execute(text("SELECT count(*) FROM reservation")).scalar_one()
    engine.dispose()
    assert doubles == 0, f"{doubles} units held twice"
    assert booked == active, (booked, active)
    assert rows >= total, (rows, total)
    return f"{total} reservations in all, {live} live, 0 units held twice, ledger rows {rows}"


def main() -> None:
    url = reach.build(sys.argv[1])
    dispatcher, paths = reach.availability_requests(url)
    availability_lua = harness.random_paths_lua(
        paths, headers={"Authorization": f"Bearer {dispatcher}"}
    )
    reserve_lua = RESERVE_LUA % {"token": dispatcher, "sites": reach.SITES, "parts": reach.PARTS}
    ceilings, results = [], []
    with harness.serve(url) as base:
        for _ in range(2):
            ceilings.append(harness.wrk("C /bench/ceiling", f"{base}/bench/ceiling"))
            results.append(
                harness.wrk(
                    "GET /availability (8 clients)",
                    f"{base}/api/v1/availability",
                    connections=8,
                    lua=availability_lua,
                )
            )
            ceilings.append(harness.wrk("C /bench/ceiling", f"{base}/bench/ceiling"))
            results.append(
                harness.wrk(
                    "POST /reservations (32 clients)",
                    f"{base}/api/v1/reservations",
                    connections=32,
                    lua=reserve_lua,
                )
            )
    print(harness.table(results, ceilings))
    print(check_books(url))


if __name__ == "__main__":
    main()
