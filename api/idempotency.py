"""The Idempotency-Key header on mutating POSTs, per the contract.

A route takes `IdempotencyDep` (or `IdempotencyRequired`) and answers through
`idem.respond(session, status, body)`: the answer is stored in the request's transaction.
Refusals (domain errors) are stored by the error handler; unexpected failures release the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import CallerDep, DatabaseDep
from inventory_service.platform import idempotency

REPLAY_HEADER = "Idempotent-Replayed"


class ReplayResponse(Exception):
    """Raised by the dependency to answer a retry with the stored first answer."""

    def __init__(self, replay: idempotency.Replay) -> None:
        self.replay = replay


@dataclass(slots=True)
class Idempotency:
    claim: idempotency.Claim | None

    def respond(self, session: Session, status_code: int, body: BaseModel | Any) -> JSONResponse:
        """The JSON answer, remembered for retries in the same transaction as the work."""
        content = jsonable_encoder(body)
        if self.claim is not None:
            idempotency.complete(session, self.claim, status_code=status_code, body=content)
        return JSONResponse(content, status_code=status_code)


async def _body(request: Request) -> bytes:
    return await request.body()


def _claim(
    request: Request, db: DatabaseDep, caller: CallerDep, body: bytes, key: str | None
) -> Idempotency:
    if key is None:
        return Idempotency(claim=None)
    idempotency.check_key(key)
    outcome = idempotency.claim(
        db,
        token_id=caller.token_id,
        key=key,
        method=request.method,
        path=request.url.path,
        digest=idempotency.request_hash(request.method, request.url.path, body),
    )
    if isinstance(outcome, idempotency.Replay):
        raise ReplayResponse(outcome)
    request.state.idempotency_claim = outcome
    return Idempotency(claim=outcome)


def key_header() -> Any:
    """The Idempotency-Key header's declaration (a fresh one per use: FastAPI keeps state on it)."""
    return Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        pattern=r"^[ -~]+$",
        description="Makes a retry safe: the same key and body answer the first response again.",
    )


def optional_key(
    request: Request,
    db: DatabaseDep,
    caller: CallerDep,
    body: Annotated[bytes, Depends(_body)],
    idempotency_key: Annotated[str | None, key_header()] = None,
) -> Idempotency:
    return _claim(request, db, caller, body, idempotency_key)


def required_key(
    request: Request,
    db: DatabaseDep,
    caller: CallerDep,
    body: Annotated[bytes, Depends(_body)],
    idempotency_key: Annotated[str, key_header()],
) -> Idempotency:
    return _claim(request, db, caller, body, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(optional_key)]
IdempotencyRequired = Annotated[Idempotency, Depends(required_key)]


def replay_response(exc: ReplayResponse) -> JSONResponse:
    return JSONResponse(
        exc.replay.body, status_code=exc.replay.status_code, headers={REPLAY_HEADER: "true"}
    )
