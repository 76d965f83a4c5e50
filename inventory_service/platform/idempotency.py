"""Idempotency keys for mutating requests.

Rules: a key belongs to one token; the first request with a key claims it in its own short
transaction; the answer is stored in the *same* transaction as the work it answers, so a
retry either replays a committed answer or finds no answer and no work (never work without
an answer); the same key with another body is refused; a claim whose request died is taken
over after `LEASE` (its work cannot have committed); keys are kept `idempotency_ttl_hours`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from inventory_service.platform.db import Database
from inventory_service.platform.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    ValidationFailed,
)
from inventory_service.platform.settings import get_settings
from models import IdempotencyRecord
from models.base import utcnow

LEASE = timedelta(minutes=2)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: Any


@dataclass(frozen=True, slots=True)
class Claim:
    record_id: int


def request_hash(method: str, path: str, body: bytes) -> str:
    """A hash of what the request asks for: method, path and the body's JSON meaning."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError):
        canonical = body.decode("latin-1")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.field(
            "Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} printable characters"
        )
    return key


def claim(
    db: Database, *, token_id: int, key: str, method: str, path: str, digest: str
) -> Claim | Replay:
    """Claim `key` for this request, or the stored answer of the request that claimed it."""
    now = utcnow()
    with db.transaction(write=True) as session:
        existing = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key
            )
        ).first()
        if existing is not None and existing.expires_at <= now:
            session.delete(existing)
            session.flush()
            existing = None
        if existing is not None:
            if existing.request_hash != digest:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used with another request",
                    details=[{"field": "Idempotency-Key", "reason": "reused with another body"}],
                )
            if existing.status_code is not None:
                return Replay(status_code=existing.status_code, body=_answer(existing.response))
            if now - existing.created_at < LEASE:
                raise IdempotencyInProgress("a request with this Idempotency-Key is in progress")
            existing.created_at = now
            session.add(existing)
            session.flush()
            assert existing.id is not None
            return Claim(record_id=existing.id)
        record = IdempotencyRecord(
            token_id=token_id,
            key=key,
            method=method,
            path=path,
            request_hash=digest,
            expires_at=now + timedelta(hours=get_settings().idempotency_ttl_hours),
        )
        session.add(record)
        try:
            session.flush()
        except IntegrityError:
            raise IdempotencyInProgress(
                "a request with this Idempotency-Key is in progress"
            ) from None
        assert record.id is not None
        return Claim(record_id=record.id)


def complete(session: Session, claim_: Claim, *, status_code: int, body: Any) -> None:
    """Store the answer in the request's own transaction."""
    session.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == claim_.record_id)
        .values(status_code=status_code, response=_stored(body), completed_at=utcnow())
    )


def _stored(body: Any) -> str:
    # Kept as one JSON text (a string scalar in the column): PostgreSQL's JSONB would reorder
    # an object's keys, and a replay must be the first answer to the byte.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _answer(stored: Any) -> Any:
    # Answers stored before `_stored` existed are objects; every newer one is its JSON text.
    return json.loads(stored) if isinstance(stored, str) else stored


def complete_separately(db: Database, claim_: Claim, *, status_code: int, body: Any) -> None:
    """Store a refusal (the request's transaction was rolled back, so nothing else happened)."""
    with db.transaction(write=True) as session:
        complete(session, claim_, status_code=status_code, body=body)


def release(db: Database, claim_: Claim) -> None:
    """Forget a claim whose request failed unexpectedly, so that a retry runs again."""
    with db.transaction(write=True) as session:
        session.execute(
            delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == claim_.record_id)
        )


def purge_expired(session: Session) -> int:
    """Delete keys past their expiry; returns how many."""
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
