"""Benchmark: 100 devices with site, components and parts through GraphQL, next to the bare
ceiling C of PERFORMANCE.md, in one run; with the compiled documents on and off.

    .venv/bin/python bench/graphql_board.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/graphql_board.py sqlite:////tmp/bench-import/import.db
    .venv/bin/python bench/graphql_board.py ... --seconds 5 --skip-rest --skip-off

(Not `bench/graphql.py`: a script's folder comes first on `sys.path`, and a `graphql.py`
there would shadow graphql-core for every benchmark script that imports the app.)

A PostgreSQL URL names a server: the register's benchmark database `bench_register` (10,000
sites, 100,000 devices with components; `bench/devices_lookup.py` builds it once) is used,
or built if missing. A SQLite URL names a file `bench/import_devices.py --keep` built; it is
copied first (tokens are written). Each request asks for a random 100-device page (a random
cursor), so pages do not come from a warm cache: GraphQL
`devices(limit: 100) { items { serial status site {...} components { slot serial part {...} } } }`,
REST `GET /api/v1/devices?limit=100` (devices with components; site and part objects would be
further calls). C is `bench/ceiling.py` (a bare FastAPI app in its own process); the service
runs with 1 uvicorn worker, once with compiled documents (the default) and once with
`INVENTORY_GRAPHQL_COMPILED=false` (the general strawberry execution). wrk -t2 -c32 after a
3 s warm-up, interleaved C, endpoint, C, endpoint, ...; each ratio is to the mean of the C
runs on either side. Traffic goes to 127.0.0.1 only; about 2 min of load at 10 s per run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Result, random_paths_lua, serve, serve_ceiling, wrk  # noqa: E402

from inventory_service.platform.pagination import encode_cursor  # noqa: E402

PAGE = 100
QUERY = (
    "query ($cursor: String) { devices(limit: 100, cursor: $cursor) { items { serial status "
    "site { code city hubBandMinutes } "
    "components { slot serial part { partNumber name category } } } nextCursor } }"
)


def database(url: str) -> str:
    if make_url(url).get_backend_name() == "postgresql":
        import devices_lookup

        return devices_lookup.postgres_database(url)
    source = Path(make_url(url).database or "")
    copy = Path(tempfile.mkdtemp(prefix="bench-graphql-")) / "graphql.db"
    shutil.copy(source, copy)
    return f"sqlite:///{copy}"


def token(url: str) -> str:
    from inventory_service.platform import auth
    from inventory_service.platform.db import Database

    db = Database(url)
    with db.transaction() as session:
        issued = auth.create_token(session, role="admin", name="bench-graphql").token
    db.dispose()
    return issued


def device_ids(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        low, high = conn.execute(text("SELECT min(id), max(id) FROM device")).one()
    engine.dispose()
    return int(low), int(high)


def graphql_lua(cursors: list[str], bearer: str) -> str:
    """A wrk script POSTing the query with a random cursor each time."""
    bodies = ",".join(
        "[==[" + json.dumps({"query": QUERY, "variables": {"cursor": c}}) + "]==]" for c in cursors
    )
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {bearer}"\n'
        f"local bodies = {{{bodies}}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        '  return wrk.format(nil, "/graphql", nil, bodies[math.random(#bodies)])\n'
        "end\n"
    )


def _check(base: str, bearer: str, cursor: str) -> bytes:
    import httpx

    answer = httpx.post(
        f"{base}/graphql",
        json={"query": QUERY, "variables": {"cursor": cursor}},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )
    check = answer.json()
    if "errors" in check or len(check["data"]["devices"]["items"]) != PAGE:
        raise SystemExit(f"unexpected answer: {str(check)[:500]}")
    return answer.content


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def _run(name: str, url: str, seconds: int, lua: str | None = None) -> Result:
    result = wrk(name, url, lua=lua, seconds=seconds)
    result.errors = (result.errors + " " if result.errors else "") + f"({_load()})"
    print(f"  {name}: {result.requests_per_second:,.0f} req/s {result.errors}", file=sys.stderr)
    return result


def _table(pairs: list[tuple[Result, list[Result]]]) -> str:
    lines = [
        "| run | req/s | p50 ms | p99 ms | C req/s (mean of the runs around it) | ratio | "
        "non-2xx | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result, around in pairs:
        c = sum(r.requests_per_second for r in around) / len(around)
        lines.append(
            f"| {result.name} | {result.requests_per_second:,.1f} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {c:,.0f} | {result.requests_per_second / c:.4f} C | "
            f"{result.non_2xx} | {result.errors} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="a PostgreSQL server URL or a SQLite file URL")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--skip-rest", action="store_true", help="no REST run")
    parser.add_argument("--skip-off", action="store_true", help="no run without compiled plans")
    args = parser.parse_args()
    url = database(args.url)
    bearer = token(url)
    low, high = device_ids(url)
    rng = random.Random(7)
    cursors = [encode_cursor(rng.randrange(low - 1, high - PAGE)) for _ in range(500)]
    rest_paths = [f"/api/v1/devices?limit={PAGE}&cursor={c}" for c in cursors]
    gql_lua = graphql_lua(cursors, bearer)
    rest_lua = random_paths_lua(rest_paths, headers={"Authorization": f"Bearer {bearer}"})
    plans: list[tuple[str, str, str, str | None]] = [
        ("true", "service constant /bench/ceiling (all middleware)", "/bench/ceiling", None),
        ("true", "GraphQL board, compiled documents", "/", gql_lua),
    ]
    if not args.skip_rest:
        plans.append(("true", "REST: GET /devices?limit=100 (devices + components)", "/", rest_lua))
    if not args.skip_off:
        plans.append(("false", "GraphQL board, INVENTORY_GRAPHQL_COMPILED=false", "/", gql_lua))
    pairs: list[tuple[Result, list[Result]]] = []
    print(f"start: {_load()}", file=sys.stderr)
    with serve_ceiling() as ceiling:
        last = _run("C (bare FastAPI, own process)", ceiling, args.seconds)
        for compiled in ("true", "false"):
            wanted = [p for p in plans if p[0] == compiled]
            if not wanted:
                continue
            with serve(url, extra_env={"INVENTORY_GRAPHQL_COMPILED": compiled}) as base:
                _check(base, bearer, cursors[0])
                for _, name, path, lua in wanted:
                    result = _run(name, base + path, args.seconds, lua)
                    after = _run("C (bare FastAPI, own process)", ceiling, args.seconds)
                    pairs.append((result, [last, after]))
                    last = after
    print(f"\n{make_url(url).get_backend_name()}: 100-device pages over 100k devices")
    print(_table(pairs))


if __name__ == "__main__":
    main()
