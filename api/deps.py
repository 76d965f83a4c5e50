"""Request-scoped dependencies: the database session, the caller and the roles a route allows.

One session per request: mutating methods open a write transaction, which is committed when
the endpoint returns (before the response is sent) and rolled back if it raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from inventory_service.platform import auth
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import Forbidden
from models import Role

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_database(request: Request) -> Database:
    # async: no I/O here, and a sync dependency would cost a thread-pool hop per request.
    db: Database = request.app.state.database
    return db


DatabaseDep = Annotated[Database, Depends(get_database)]


def get_session(request: Request, db: DatabaseDep) -> Iterator[Session]:
    """The request's session: one transaction, committed whole or not at all."""
    write = request.method not in READ_METHODS
    with db.session(write=write) as session:
        try:
            yield session
            if write:
                session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="A token from `inventory-service token create`")


def _authenticate(db: Database, token: str | None) -> Caller:
    # A short read session of its own: authentication never holds the request's write lock.
    with db.session() as session:
        return auth.authenticate(session, token)


async def caller_of(request: Request, db: Database, token: str | None) -> Caller:
    """The caller a token stands for (Unauthorized if none or invalid), noted on the request.

    The one path from a token to a caller: the API's bearer header and the console's cookie.
    """
    # A recently verified token is answered on the event loop; only a lookup leaves it.
    caller = auth.cached_caller(token)
    if caller is None:
        caller = await run_in_threadpool(_authenticate, db, token)
    request.state.caller = caller
    return caller


async def get_caller(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The authenticated caller (401 without a valid bearer token)."""
    return await caller_of(request, db, credentials.credentials if credentials else None)


CallerDep = Annotated[Caller, Depends(get_caller)]


def allow(*roles: Role) -> Any:
    """A dependency that admits `admin` and the given roles, else 403."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(caller: CallerDep) -> Caller:
        if caller.role not in allowed:
            raise Forbidden(f"role {caller.role.value!r} may not do this")
        return caller

    check.allowed_roles = allowed  # type: ignore[attr-defined]  # read by api.openapi
    return Depends(check)


ALL_ROLES = tuple(Role)
STAFF = tuple(r for r in Role if r is not Role.CUSTOMER)

Reader = Annotated[Caller, allow(*ALL_ROLES)]
Staff = Annotated[Caller, allow(*STAFF)]
Admin = Annotated[Caller, allow()]
Stockkeeper = Annotated[Caller, allow(Role.WAREHOUSE)]
FieldRole = Annotated[Caller, allow(Role.ENGINEER, Role.DISPATCHER)]
ReportReader = Annotated[Caller, allow(Role.REPORTER, Role.CUSTOMER)]
