"""The floor of a database-backed answer on this stack: what k round trips cost, as a share of C.

A bare FastAPI app (nothing of the service imported; the ceiling's uvicorn settings) whose
routes run k one-row lookups by unique key (`SELECT code, lat, lon FROM site WHERE code = %s`,
prepared) against the benchmark database and answer a small JSON object:

- `/sync/{k}`: a plain `def` route (one thread-pool hop), psycopg, one connection per thread;
- `/async/{k}`: an `async def` route, psycopg's async mode, a pool of connections;
- `/hop`: a plain `def` route answering a constant (the thread-pool hop alone);
- `/headers`: an `async def` constant carrying the service's request id and security headers.

It answers what no service code can beat: the ratio to C of a route that does nothing but k
statements. Every service answer that needs k statements sits below that line.

    .venv/bin/python bench/floor.py postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf \
        [--seconds 6] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Final

import psycopg
from fastapi import FastAPI, Response

_LOOKUP = "SELECT code, lat, lon FROM site WHERE code = %s"
_DSN = os.environ.get("FLOOR_DSN", "")
_local = threading.local()
_pool: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] | None = None


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    global _pool
    if _DSN:
        _pool = asyncio.Queue()
        for _ in range(8):
            _pool.put_nowait(await psycopg.AsyncConnection.connect(_DSN, autocommit=True))
    yield


app = FastAPI(lifespan=_lifespan)


def _connection() -> psycopg.Connection[tuple[object, ...]]:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = psycopg.connect(_DSN, autocommit=True)
    return conn


@app.get("/hop")
def hop() -> dict[str, str]:
    return {"status": "ok"}


# What the service adds to every answer (api/middleware.py): the request id and the security
# headers. A constant answer carrying them measures what the bytes alone cost uvicorn and wrk.
_SERVICE_HEADERS: Final = {
    "x-request-id": "0123456789abcdef0123456789abcdef",
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@app.get("/headers")
async def headers() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json", headers=_SERVICE_HEADERS)


@app.get("/sync/{k}")
def sync_lookups(k: int) -> dict[str, object]:
    conn = _connection()
    row = None
    for i in range(k):
        row = conn.execute(_LOOKUP, (f"S{i:05d}",), prepare=True).fetchone()
    return {"k": k, "row": row}


@app.get("/async/{k}")
async def async_lookups(k: int) -> dict[str, object]:
    assert _pool is not None
    conn = await _pool.get()
    try:
        row = None
        for i in range(k):
            cur = await conn.execute(_LOOKUP, (f"S{i:05d}",), prepare=True)
            row = await cur.fetchone()
    finally:
        _pool.put_nowait(conn)
    return {"k": k, "row": row}


ROUTES: Final = (
    "/headers",
    "/hop",
    "/sync/1",
    "/async/1",
    "/sync/5",
    "/async/5",
    "/sync/8",
    "/async/8",
)


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """This app in its own process against the database; yields its base URL."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import harness

    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    server = [sys.executable, str(Path(__file__)), "--serve", str(port)]
    with harness.running(server, dict(os.environ) | {"FLOOR_DSN": dsn}, f"{base}/hop"):
        yield base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url", help="the benchmark database (SQLAlchemy or libpq URL)")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import harness

    results, ceilings = [], []
    with harness.serve_ceiling() as ceiling, serving(args.database_url) as base:
        ceilings.append(harness.wrk("C", ceiling, connections=args.clients, seconds=args.seconds))
        for route in ROUTES:
            results.append(
                harness.wrk(route, base + route, connections=args.clients, seconds=args.seconds)
            )
            ceilings.append(
                harness.wrk("C", ceiling, connections=args.clients, seconds=args.seconds)
            )
    print(harness.table(results, ceilings))
    print(json.dumps({r.name: r.requests_per_second for r in results}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        import uvicorn

        uvicorn.run(
            "floor:app",
            app_dir=str(Path(__file__).parent),
            host="127.0.0.1",
            port=int(sys.argv[2]),
            log_config=None,
            access_log=False,
        )
    else:
        main()
