"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
from api.routing import Router, include
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


def api_router() -> Router:
    """Every REST resource under /api/v1."""
    router = Router(prefix=API_PREFIX, at_root=True)
    include(router, customers.router)
    include(router, places.sites)
    include(router, places.warehouses)
    include(router, parts.router)
    include(router, devices.router)
    include(router, repairs.router)
    include(router, spares.router)
    include(router, spares.stocktakes)
    include(router, reports.router)
    include(router, reachability.router)
    include(router, lifecycle.reservation_router)
    include(router, lifecycle.replacement_router)
    include(router, lifecycle.loan_router)
    return router


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
    include(app, api_router())
    openapi.declare_errors(app)
    if cfg.benchmark_endpoints:

        @app.get("/bench/ceiling", include_in_schema=False)
        async def ceiling() -> dict[str, str]:
            return {"status": "ok"}

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
