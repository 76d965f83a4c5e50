"""Request-scoped dependencies: the database session, the caller and the roles a route allows.

One session per request: mutating methods open a write transaction, which is committed when
the endpoint returns (before the response is sent) and rolled back if it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api import surface
from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.policy import Operation

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


async def caller_of(request: Request, db: Database, token: str | None) -> Caller:
    """The caller a token stands for (Unauthorized if none or invalid), noted on the request.

    The one path from a token to a caller: the API's bearer header and the console's cookie.
    """
    caller = await surface.authenticate(db, token)
    request.state.caller = caller
    return caller


async def get_caller(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The authenticated caller (401 without a valid bearer token).

    A request with a body was already authenticated by `api.middleware.RequestGuard`, before
    its body was read; that caller is reused.
    """
    known: Caller | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    return await caller_of(request, db, credentials.credentials if credentials else None)


CallerDep = Annotated[Caller, Depends(get_caller)]


def permit(operation: Operation) -> Any:
    """The dependency admitting the roles `policy.ALLOWED` gives `operation` (else 403)."""

    async def check(caller: CallerDep) -> Caller:
        return policy.authorize(caller, operation)

    check.allowed_roles = policy.ALLOWED[operation]  # type: ignore[attr-defined]  # api.openapi
    return Depends(check)


# One name per operation of the policy's table; routes say which audience they serve.
Reader = Annotated[Caller, permit(Operation.READ)]
Staff = Annotated[Caller, permit(Operation.READ_INTERNAL)]
Admin = Annotated[Caller, permit(Operation.ADMINISTER)]
Stockkeeper = Annotated[Caller, permit(Operation.KEEP_STOCK)]
FieldRole = Annotated[Caller, permit(Operation.FIELD_WORK)]
Registrar = Annotated[Caller, permit(Operation.REGISTER)]
LoanRole = Annotated[Caller, permit(Operation.LEND)]
ReportReader = Annotated[Caller, permit(Operation.READ_REPORTS)]
LoanReader = Annotated[Caller, permit(Operation.READ_LOANS)]


async def read_json(request: Request, answer: Callable[[Session], BaseModel]) -> Response:
    """A hot read in one thread-pool hop: a read session, the service call and the JSON.

    The model is serialized once here (FastAPI would validate it again through the route's
    `response_model`, which still documents the shape); errors raised by the service reach
    the usual handlers. Use it from an `async def` route whose other dependencies are async.
    """
    db: Database = request.app.state.database

    def work() -> bytes:
        with db.session() as session:
            model = answer(session)
            return model.__pydantic_serializer__.to_json(model)

    return Response(await run_in_threadpool(work), media_type="application/json")


def model_json(model: BaseModel) -> Response:
    """A model's JSON, serialized once (as `read_json` does)."""
    return Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")
