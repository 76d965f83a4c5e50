"""What REST and GraphQL share at the surface: errors, idempotent refusals, authentication.

Rules that always hold here:
- `STATUS` maps the domain error tree once; a domain error's code (`exc.code`) and status
  (`status_of`) are the same on both surfaces: REST sends them as the contract's error body,
  GraphQL as `extensions.code` / `extensions.details` (`graphql_error`), keeping the domain
  error as `original_error` so resolvers test the error's class, never its code string.
- One idempotency protocol: a refused request stores `refusal(exc)` (the REST status and
  error body) under its key, and a retry gets the same refusal on either surface.
- One authentication path: a recently verified token is answered from the in-process cache
  on the event loop; only a miss opens a short read session of its own in the thread pool.
  `api.middleware.RequestGuard` calls it before a body is read and stores the caller on the
  request; REST's `get_caller` and GraphQL's context reuse that caller.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool

from inventory_service.platform import auth, errors
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database, unavailable_as_domain_error

STATUS: dict[type[errors.DomainError], int] = {
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.ValidationFailed: 422,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    errors.ServiceUnavailable: 503,
}


def status_of(exc: errors.DomainError) -> int:
    """The HTTP status of a domain error (its nearest mapped ancestor)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    """The contract's error shape."""
    return {"error": {"code": code, "message": message, "details": details or []}}


def refusal(exc: errors.DomainError) -> tuple[int, dict[str, Any]]:
    """The status and body a refused idempotent request stores (REST and GraphQL alike)."""
    return status_of(exc), error_body(exc.code, exc.message, exc.details)


def graphql_error(exc: errors.DomainError) -> GraphQLError:
    """A domain error as GraphQL reports it: same message, same code as REST."""
    return GraphQLError(
        exc.message,
        extensions={"code": exc.code, "details": exc.details},
        original_error=exc,
    )


def stored_refusal_error(body: Any) -> GraphQLError | None:
    """A stored refusal (`refusal`'s body) replayed as a GraphQL error; None for an answer."""
    if not (isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)):
        return None
    error = body["error"]
    return GraphQLError(
        error["message"], extensions={"code": error["code"], "details": error["details"]}
    )


def _authenticate(db: Database, token: str | None) -> Caller:
    # A short read session of its own: authentication never holds a request's write lock.
    # A locked or unreachable database is `ServiceUnavailable` (503) on every surface.
    with unavailable_as_domain_error(), db.session() as session:
        return auth.authenticate(session, token)


async def authenticate(db: Database, token: str | None) -> Caller:
    """The caller of a bearer token (Unauthorized if missing or bad), cache first."""
    caller = auth.cached_caller(token)
    if caller is None:
        caller = await run_in_threadpool(_authenticate, db, token)
    return caller
