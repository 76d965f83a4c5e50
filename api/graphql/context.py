"""The GraphQL request context: caller, database, one read session, DataLoaders.

Resolvers are async and never block the event loop: every database call goes through
`ctx.run(fn, ...)`, which runs it in the thread pool, one at a time per request (a sync
SQLAlchemy session is not safe for concurrent use), and turns domain errors into GraphQL
errors carrying the REST error code in `extensions.code`. Queries share one read session per
request; each mutation is its own write transaction, committed before the answer is sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.fastapi import BaseContext
from strawberry.permission import BasePermission
from strawberry.types import Info

from api import surface
from api.surface import graphql_error
from inventory_service import policy
from inventory_service.platform import auth, idempotency
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database, unavailable_as_domain_error
from inventory_service.platform.errors import DomainError, Unauthorized
from inventory_service.policy import Operation

T = TypeVar("T")
L = TypeVar("L")


class Context(BaseContext):
    def __init__(self, *, db: Database, caller: Caller | None) -> None:
        super().__init__()
        self.db = db
        self._caller = caller
        self._session: Session | None = None
        self._lock = asyncio.Lock()
        self.loaders: dict[str, Any] = {}

    @property
    def caller(self) -> Caller:
        """Who is calling (a websocket authenticates at `connection_init`, before any operation)."""
        if self._caller is None:
            raise graphql_error(Unauthorized("missing bearer token"))
        return self._caller

    def authenticate(self, token: str | None) -> Caller:
        """Authenticate a websocket from its `connection_init` payload (Unauthorized if bad)."""
        with self.db.session() as session:
            self._caller = auth.authenticate(session, token)
        return self._caller

    def _read_session(self) -> Session:
        if self._session is None:
            self._session = self.db.session()
        return self._session

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a query service `fn(session, *args, **kwargs)` off the event loop."""

        def call() -> T:
            with unavailable_as_domain_error():
                return fn(self._read_session(), *args, **kwargs)

        async with self._lock:
            try:
                return await run_in_threadpool(call)
            except DomainError as exc:
                raise graphql_error(exc) from exc

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a command `fn(session, *args, **kwargs)` in its own committed transaction."""

        def call() -> T:
            with unavailable_as_domain_error(), self.db.transaction(write=True) as session:
                return fn(session, *args, **kwargs)

        async with self._lock:
            try:
                return await run_in_threadpool(call)
            except DomainError as exc:
                raise graphql_error(exc) from exc

    def loader(self, name: str, factory: Callable[[], L]) -> L:
        """The request's DataLoader called `name`, created on first use."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        found: L = self.loaders[name]
        return found

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def bearer(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value."""
    scheme, _, token = (value or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def get_context(connection: HTTPConnection) -> AsyncIterator[Context]:
    """FastAPI dependency: the same auth as REST (401 without a valid token).

    The GraphiQL page (a GET) opens without a token; the queries it sends are POSTs and need one.

    A websocket may instead send `{"Authorization": "Bearer <token>"}` in `connection_init`
    (browsers cannot set headers on the upgrade); see `GraphQLApp.on_ws_connect`.
    """
    db: Database = connection.app.state.database
    token = bearer(connection.headers.get("authorization"))
    # A POST was authenticated by `api.middleware.RequestGuard` before its body was read.
    caller: Caller | None = getattr(connection.state, "caller", None)
    # GET only ever renders GraphiQL (queries via GET are off), so the page needs no token;
    # a websocket authenticates in connection_init. Every operation needs a caller.
    page_only = not isinstance(connection, WebSocket) and connection.scope["method"] == "GET"
    if caller is None and (
        token is not None or not (isinstance(connection, WebSocket) or page_only)
    ):
        caller = await surface.authenticate(db, token)
        connection.state.caller = caller
    context = Context(db=db, caller=caller)
    try:
        yield context
    finally:
        if context._session is not None:  # no trip to the thread pool for nothing
            await run_in_threadpool(context.close)


def _claim_and_run(
    ctx: Context, *, key: str, digest: str, operation: str, fn: Callable[[Session], Any]
) -> Any:
    """Claim the key, then do the work and store its answer (or its refusal) under it.

    An unavailable database (locked, unreachable) is `ServiceUnavailable`, 503 as on REST.
    """
    with unavailable_as_domain_error():
        return _claim_and_store(ctx, key=key, digest=digest, operation=operation, fn=fn)


def _claim_and_store(
    ctx: Context, *, key: str, digest: str, operation: str, fn: Callable[[Session], Any]
) -> Any:
    outcome = idempotency.claim(
        ctx.db,
        token_id=ctx.caller.token_id,
        key=key,
        method="GRAPHQL",
        path=operation,
        digest=digest,
    )
    if isinstance(outcome, idempotency.Replay):
        return outcome
    try:
        with ctx.db.transaction(write=True) as session:
            answer = fn(session)
            idempotency.complete(session, outcome, status_code=200, body=answer)
            return answer
    except DomainError as exc:
        status_code, body = surface.refusal(exc)
        idempotency.complete_separately(ctx.db, outcome, status_code=status_code, body=body)
        raise
    except Exception:
        idempotency.release(ctx.db, outcome)
        raise


async def idempotent_write(
    ctx: Context,
    *,
    key: str,
    operation: str,
    payload: Any,
    fn: Callable[[Session], Any],
) -> Any:
    """Run a mutation once per Idempotency-Key, as REST does: a retry replays the first answer.

    `fn(session)` does the work and returns the JSON-able answer; it is stored in the same
    transaction as the work. A refusal is stored as REST stores it (`surface.refusal`: the
    same status and error body) and raised again on retries.
    """
    try:
        idempotency.check_key(key)
    except DomainError as exc:
        raise graphql_error(exc) from exc
    body = json.dumps(payload, default=str).encode()
    digest = idempotency.request_hash("GRAPHQL", operation, body)
    async with ctx._lock:
        try:
            result = await run_in_threadpool(
                _claim_and_run, ctx, key=key, digest=digest, operation=operation, fn=fn
            )
        except DomainError as exc:
            raise graphql_error(exc) from exc
    if isinstance(result, idempotency.Replay):
        refused = surface.stored_refusal_error(result.body)
        if refused is not None:
            raise refused
        return result.body
    return result


def permission(operation: Operation) -> type[BasePermission]:
    """The strawberry permission admitting the roles `policy.ALLOWED` gives `operation`."""

    class Allowed(BasePermission):
        message = "forbidden"

        def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
            try:
                policy.authorize(info.context.caller, operation)
            except DomainError as exc:
                raise graphql_error(exc) from exc
            return True

    Allowed.__name__ = Allowed.__qualname__ = f"May{operation.name.title().replace('_', '')}"
    return Allowed


# Generated from the policy's one table: one permission class per operation.
PERMISSIONS: dict[Operation, type[BasePermission]] = {op: permission(op) for op in Operation}


def may(operation: Operation) -> list[type[BasePermission]]:
    """A field's `permission_classes` for `operation`."""
    return [PERMISSIONS[operation]]
