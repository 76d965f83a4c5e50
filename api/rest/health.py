"""Liveness, readiness and metrics: the only routes without a bearer token."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from api.routing import Router
from inventory_service.platform import health

router = Router(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {"description": "Not ready: the same body with the failing check (database, schema)."}
    },
)
async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    state = await run_in_threadpool(health.readiness, request.app.state.database)
    return JSONResponse(state.as_dict(), status_code=200 if state.ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
