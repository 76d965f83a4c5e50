"""CPU per request of a constant answer inside the app, with no HTTP server and no client: the
bare ceiling app against the service's `/bench/ceiling` (all middleware, the whole route table).

    .venv/bin/python bench/asgi_app.py            # both, best of 5 rounds of 3,000 requests
    .venv/bin/python bench/asgi_app.py --profile  # cProfile of the service's answer

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
os.environ.update(
    INVENTORY_BENCHMARK_ENDPOINTS="true",
    INVENTORY_LOG_LEVEL="WARNING",
    INVENTORY_ENVIRONMENT="production",
    INVENTORY_DATABASE_URL=os.environ.get(
        "INVENTORY_DATABASE_URL",
        "sqlite:///" + os.path.join(tempfile.gettempdir(), "asgi-bench.db"),
    ),
)


def scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def answer(app: Any, path: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        status = message.get("status", status)

    await app(scope(path), receive, send)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from ceiling import app as bare  # type: ignore[import-not-found]

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
