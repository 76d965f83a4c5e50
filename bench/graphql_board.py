"""Benchmark: 100 devices with site, components and parts through GraphQL, the same page
over REST, next to the ceiling C, in one run.

    .venv/bin/python bench/graphql_board.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/graphql_board.py sqlite:////tmp/bench-import/import.db

(Not `bench/graphql.py`: a script's folder comes first on `sys.path`, and a `graphql.py`
there would shadow graphql-core for every benchmark script that imports the app.)

A PostgreSQL URL names a server: the register's benchmark database `bench_register` (10,000
sites, 100,000 devices with components; `bench/devices_lookup.py` builds it once) is used,
or built if missing. A SQLite URL names a file `bench/import_devices.py --keep` built; it is
copied first (tokens are written). Each request asks for a random 100-device page (a random
cursor), so pages do not come from a warm cache: GraphQL
`devices(limit: 100) { items { serial status site {...} components { slot serial part {...} } } }`,
REST `GET /api/v1/devices?limit=100` (devices with components; site and part objects would be
further calls). 1 uvicorn worker; wrk -t2 -c32 -d10s after 3 s warm-up; interleaved
C, GraphQL, C, REST, C, GraphQL. Traffic goes to 127.0.0.1 only; about 80 s of load.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import random_paths_lua, serve, table, wrk  # noqa: E402

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


def main() -> None:
    url = database(sys.argv[1])
    bearer = token(url)
    low, high = device_ids(url)
    rng = random.Random(7)
    cursors = [encode_cursor(rng.randrange(low - 1, high - PAGE)) for _ in range(500)]
    rest_paths = [f"/api/v1/devices?limit={PAGE}&cursor={c}" for c in cursors]
    with serve(url) as base:
        import httpx

        check = httpx.post(
            f"{base}/graphql",
            json={"query": QUERY, "variables": {"cursor": cursors[0]}},
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=30,
        ).json()
        items = check["data"]["devices"]["items"]
        if "errors" in check or len(items) != PAGE:
            raise SystemExit(f"unexpected answer: {str(check)[:500]}")
        ceiling = f"{base}/bench/ceiling"
        gql_lua = graphql_lua(cursors, bearer)
        rest_lua = random_paths_lua(rest_paths, headers={"Authorization": f"Bearer {bearer}"})
        runs, ceilings = [], []
        for name, lua in (
            ("GraphQL: 100 devices + site, components, parts", gql_lua),
            ("REST: GET /devices?limit=100 (devices + components)", rest_lua),
            ("GraphQL: 100 devices + site, components, parts", gql_lua),
        ):
            ceilings.append(wrk("ceiling C", ceiling))
            runs.append(wrk(name, base + "/", lua=lua))
    print(f"\n{make_url(url).get_backend_name()}: 100-device pages over 100k devices")
    print(table(runs, ceilings))
    for run in runs:
        if run.errors:
            print(f"{run.name}: socket errors {run.errors}")


if __name__ == "__main__":
    main()
