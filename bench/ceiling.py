"""The ceiling C of PERFORMANCE.md: a bare FastAPI app, one constant JSON `async def` route.

Nothing of the service is imported; it runs in its own process under the same uvicorn
settings as `inventory-service serve` (workers, default loop and HTTP implementation, no
access log):

    .venv/bin/python bench/ceiling.py --port 8100 --workers 1
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/ceiling")
async def ceiling() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "ceiling:app",
        app_dir=__file__.rsplit("/", 1)[0],
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
