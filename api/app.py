"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api import console, errors, openapi, web
from api.graphql.schema import graphql_router
from api.middleware import Metrics, RefuseNul, RequestContextMiddleware, RequestGuard
from api.rest import (
    customers,
    devices,
    health,
    lifecycle,
    parts,
    places,
    reachability,
    repairs,
    reports,
    spares,
)
from api.routing import include
from inventory_service import __version__, startup
from inventory_service.platform import events
from inventory_service.platform.db import Database, get_database
from inventory_service.platform.settings import Settings, get_settings

API_PREFIX = "/api/v1"

log = logging.getLogger("inventory.app")

DESCRIPTION = """
Spare parts and the device register of the Liaoning O&M contract: can a genuine replacement
reach this site within 4 hours, reserve it, track it through replacement and repair.

Authenticate with `Authorization: Bearer <token>` (tokens come from
`inventory-service token create`); errors are `{"error": {"code", "message", "details"}}`.
"""


# Every REST resource under /api/v1, in the order of the OpenAPI document. Each is included in
# the app itself (not under one /api/v1 router): FastAPI walks an included router's routes once
# to match a request and again to handle it, so one level less is one walk less per request.
API_ROUTERS: Final = (
    customers.router,
    places.sites,
    places.warehouses,
    parts.router,
    devices.router,
    repairs.router,
    spares.router,
    spares.stocktakes,
    reports.router,
    reachability.router,
    lifecycle.reservation_router,
    lifecycle.replacement_router,
    lifecycle.loan_router,
)


def create_app(*, database: Database | None = None, cfg: Settings | None = None) -> FastAPI:
    """Build the app; `database` defaults to the one the settings name."""
    cfg = cfg or get_settings()
    db = database or get_database()
    if cfg.redis_url:
        events.configure(cfg.redis_url)  # spare changes to GraphQL subscribers on every replica

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(startup.refresh_places, db)
        stop, sweeper = asyncio.Event(), None
        if cfg.expiry_sweep_seconds > 0:
            sweeper = asyncio.create_task(startup.sweep_forever(db, cfg.expiry_sweep_seconds, stop))
        yield
        # Reached after uvicorn has drained in-flight requests (SIGTERM or Ctrl-C).
        stop.set()
        if sweeper is not None:
            await sweeper  # never cancelled mid-transaction: the sweep under way commits
            log.info("expiry sweeper stopped")
        # The async driver's connections belong to this event loop: closed with it, always.
        await db.dispose_async()
        if database is None:
            db.dispose()
            log.info("database pool closed")

    app = FastAPI(
        title="Inventory service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # api.web serves /docs and /redoc with local assets
        redoc_url=None,
    )
    app.state.database = db
    app.state.settings = cfg
    app.state.metrics = Metrics()
    errors.install(app)
    # First: a route is found by trying them in order, and /graphql carries the heaviest reads
    # (its paths share no prefix with any other route, so the order changes no match).
    include(app, graphql_router(cfg), prefix="/graphql", tags=["graphql"])
    web.mount_assets(app, cfg.web_assets_dir)
    web.install_docs(app)
    console.install(app)
    include(app, health.router)
    if cfg.benchmark_endpoints:
        # Beside the operations routes (/healthz, /metrics): found after the same walk as they
        # are (BENCHMARKS.md), before the REST resources.
        @app.get("/bench/ceiling", include_in_schema=False)
        async def ceiling() -> dict[str, str]:
            return {"status": "ok"}

    for router in API_ROUTERS:
        include(app, router, prefix=API_PREFIX)
    openapi.declare_errors(app)
    app.add_middleware(RequestGuard, max_body=int(cfg.max_body_mb * 1024 * 1024))
    app.add_middleware(RefuseNul)
    app.add_middleware(
        RequestContextMiddleware, metrics=app.state.metrics, on_error=errors.unexpected_error
    )
    return app


def serve_app() -> FastAPI:
    """The factory `inventory-service serve` hands to uvicorn (each worker calls it)."""
    from inventory_service.platform import logs

    cfg = get_settings()
    logs.configure(cfg.log_level, json_lines=cfg.log_json)
    return create_app(cfg=cfg)
