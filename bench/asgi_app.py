"""CPU per request of a constant answer inside the app, with no HTTP server and no client: the
bare ceiling app against the service's `/bench/ceiling` (all middleware, the whole route table).

    .venv/bin/python bench/asgi_app.py            # both, best of 5 rounds of 3,000 requests
    .venv/bin/python bench/asgi_app.py --profile  # cProfile of the service's answer
    .venv/bin/python bench/asgi_app.py --serials postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf
        # GET /api/v1/devices?serial= for random serials of that database, with a token
        # (with --profile: its cProfile)

The process's own CPU time is counted, so the figures hold on a loaded machine; what uvicorn
and wrk cost is the same for both apps and is left out (the wrk runs of `run_all.py` have it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
# The settings `inventory-service serve` runs under in every benchmark (bench/harness.py).
os.environ.update(
    INVENTORY_BENCHMARK_ENDPOINTS="true",
    INVENTORY_LOG_LEVEL="WARNING",
    INVENTORY_AUTH_CACHE_SECONDS="60",
    INVENTORY_EXPIRY_SWEEP_SECONDS="0",
    INVENTORY_ENVIRONMENT="production",
    INVENTORY_DATABASE_URL=os.environ.get(
        "INVENTORY_DATABASE_URL",
        "sqlite:///" + os.path.join(tempfile.gettempdir(), "asgi-bench.db"),
    ),
)


def scope(path: str, query: str = "", token: str = "") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def answer(app: Any, path: str, query: str = "", token: str = "") -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        status = message.get("status", status)

    await app(scope(path, query, token), receive, send)
    return status


async def cpu_per_request(app: Any, path: str, *, rounds: int = 5, n: int = 3000) -> float:
    """Best of `rounds` of `n` answers, in µs of process CPU per answer."""
    assert await answer(app, path) == 200
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            await answer(app, path)
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


async def serial_lookups(
    url: str, n: int = 600, profile: cProfile.Profile | None = None
) -> tuple[float, float]:
    """ms of process CPU and of wall time per `GET /api/v1/devices?serial=` answer (with
    `profile`, its cProfile)."""
    from sqlalchemy import text

    from api.app import create_app
    from inventory_service import startup
    from inventory_service.platform import auth
    from inventory_service.platform.db import Database
    from models import Role

    db = Database(url)
    with db.transaction() as session:
        token = auth.create_token(session, role=Role.DISPATCHER, name="asgi-bench").token
        serials = session.execute(text("SELECT serial FROM device ORDER BY random() LIMIT 500"))
        queries = [f"serial={serial}" for serial in serials.scalars()]
    app = create_app(database=db)
    startup.refresh_places(db)  # what the app's lifespan does when it is served
    for query in queries[:20]:
        assert await answer(app, "/api/v1/devices", query, token) == 200
    if profile is not None:
        # cProfile sees one thread: the hot read's pool work runs on the loop's thread here.
        import api.deps

        async def inline(work: Any, *args: Any) -> Any:
            return work(*args)

        api.deps.run_in_threadpool = inline  # type: ignore[assignment]
        profile.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        await answer(app, "/api/v1/devices", queries[i % len(queries)], token)
    if profile is not None:
        profile.disable()
    return (time.process_time() - cpu) / n * 1e3, (time.perf_counter() - wall) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serials", metavar="DATABASE_URL")
    args = parser.parse_args()
    if args.serials:
        profile = cProfile.Profile() if args.profile else None
        cpu, wall = asyncio.run(serial_lookups(args.serials, profile=profile))
        if profile is not None:
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        print(f"GET /api/v1/devices?serial=: {cpu:.2f} ms CPU, {wall:.2f} ms wall per answer")
        return
    from ceiling import app as bare

    from api.app import create_app

    service = create_app()
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        asyncio.run(cpu_per_request(service, "/bench/ceiling", rounds=1))
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return
    c = asyncio.run(cpu_per_request(bare, "/ceiling"))
    s = asyncio.run(cpu_per_request(service, "/bench/ceiling"))
    print(f"bare app /ceiling:        {c:6.1f} µs CPU per answer")
    print(f"service /bench/ceiling:   {s:6.1f} µs CPU per answer ({s / c:.2f}× the bare app)")


if __name__ == "__main__":
    main()
