"""API tokens and callers.

Rules: a token is shown once, at creation, and stored only as its SHA-256 hash; lookups compare
hashes in constant time; a `customer` token is bound to exactly one customer and every other
role to none; a revoked token never authenticates again (after at most `auth_cache_seconds`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlmodel import Session, col, select

from inventory_service.platform.errors import NotFound, Unauthorized, ValidationFailed
from inventory_service.platform.settings import get_settings
from models import ApiToken, Customer, Role
from models.base import utcnow

TOKEN_PREFIX = "inv_"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the token's id and name, its role and (for `customer`) its customer."""

    token_id: int
    name: str
    role: Role
    customer_id: int | None = None
    customer_code: str | None = None

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    @property
    def actor(self) -> str:
        """The name written into history and ledger rows."""
        return self.name


SYSTEM = Caller(token_id=0, name="system", role=Role.ADMIN)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    record: ApiToken


def create_token(
    session: Session, *, role: str, customer_code: str | None = None, name: str | None = None
) -> IssuedToken:
    """Create a token; the plain token is returned once and never stored."""
    try:
        parsed = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed.field("role", f"must be one of {allowed}") from None
    customer_id: int | None = None
    if parsed is Role.CUSTOMER:
        if not customer_code:
            raise ValidationFailed.field("customer", "a customer token needs --customer CODE")
        customer = session.exec(select(Customer).where(Customer.code == customer_code)).first()
        if customer is None:
            raise ValidationFailed.field("customer", f"unknown customer {customer_code!r}")
        customer_id = customer.id
    elif customer_code:
        raise ValidationFailed.field("customer", "only a customer token is bound to a customer")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        name=name or f"{parsed.value}-{secrets.token_hex(3)}",
        role=parsed.value,
        customer_id=customer_id,
        token_hash=hash_token(token),
    )
    session.add(record)
    session.flush()
    return IssuedToken(token=token, record=record)


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token ever created, oldest first (hashes only)."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())


def revoke_token(session: Session, *, token_id: int) -> ApiToken:
    """Revoke a token for good."""
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"token {token_id} not found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
    _cache.clear()
    return record


class _CallerCache:
    """A short-lived cache of hash → caller, so a request does not always cost a query."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Caller]] = {}

    def get(self, token_hash: str) -> Caller | None:
        ttl = get_settings().auth_cache_seconds
        with self._lock:
            entry = self._entries.get(token_hash)
        if entry is None or time.monotonic() - entry[0] > ttl:
            return None
        return entry[1]

    def put(self, token_hash: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token_hash] = (time.monotonic(), caller)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _CallerCache()


def cached_caller(token: str | None) -> Caller | None:
    """The caller of a token verified within `auth_cache_seconds`, without a query."""
    return _cache.get(hash_token(token)) if token else None


def authenticate(session: Session, token: str | None) -> Caller:
    """The caller a bearer token stands for, or Unauthorized."""
    if not token:
        raise Unauthorized("missing bearer token")
    presented = hash_token(token)
    cached = _cache.get(presented)
    if cached is not None:
        return cached
    row = session.exec(
        select(ApiToken, Customer.code)
        .join(Customer, col(Customer.id) == col(ApiToken.customer_id), isouter=True)
        .where(ApiToken.token_hash == presented)
    ).first()
    if row is None or not hmac.compare_digest(row[0].token_hash, presented):
        raise Unauthorized("invalid bearer token")
    record, customer_code = row
    if record.revoked_at is not None:
        raise Unauthorized("invalid bearer token")
    assert record.id is not None
    caller = Caller(
        token_id=record.id,
        name=record.name,
        role=Role(record.role),
        customer_id=record.customer_id,
        customer_code=customer_code,
    )
    _cache.put(presented, caller)
    return caller


def clear_cache() -> None:
    """Forget cached callers (tests, revocation)."""
    _cache.clear()
