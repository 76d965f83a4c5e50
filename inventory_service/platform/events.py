"""Spare changes for live boards, published through Redis pub/sub after commit.

Rules that always hold here:
- Only committed changes are published. Movement rows are collected as they are flushed,
  described (part number, serial, warehouse codes) just before the commit, and published
  from the session's `after_commit`; a rollback drops them. A subscriber never sees a
  change that did not happen.
- Publishing never fails a command: the change is already committed when it is published,
  so a Redis outage is logged and the board misses the event (the ledger still holds it).
- One Redis channel per part number (`<prefix>:spare-changed:<part_number>`), so a board
  watching one part gets only its events; every replica publishes to and reads from the
  same Redis, so a subscriber sees changes made through any replica.
- With no Redis configured (`configure(None)`), nothing is collected or published.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import col, select

from models import Movement, Part, SpareUnit, Warehouse
from models.events import SpareChange

if TYPE_CHECKING:
    import redis

log = logging.getLogger("inventory.events")

_PENDING = "spare_changes_pending"
_READY = "spare_changes_ready"


@dataclass
class _Publisher:
    url: str
    prefix: str
    client: redis.Redis = field(init=False)

    def __post_init__(self) -> None:
        import redis  # ~20 MB resident: loaded only when a Redis is configured

        self.client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)


_publisher: _Publisher | None = None


def configure(url: str | None, *, prefix: str = "inventory") -> str | None:
    """Publish to (and subscribe from) the Redis at `url`; None turns events off.

    Returns the previous URL (tests restore it).
    """
    global _publisher
    previous = _publisher.url if _publisher else None
    if _publisher is not None:
        _publisher.client.close()
    _publisher = _Publisher(url, prefix) if url else None
    return previous


def enabled() -> bool:
    """Whether changes are published (a Redis URL is configured)."""
    return _publisher is not None


def channel(part_number: str) -> str:
    """The Redis channel of one part number's changes."""
    prefix = _publisher.prefix if _publisher else "inventory"
    return f"{prefix}:spare-changed:{part_number}"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context: Any) -> None:
    if _publisher is None:
        return
    new = [obj for obj in session.new if isinstance(obj, Movement)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _describe(session: Session) -> None:
    if _publisher is None or not session.info.get(_PENDING):
        return
    session.flush()  # movements added since the last flush are collected too
    pending: list[Movement] = session.info.pop(_PENDING)
    rows = session.execute(
        select(SpareUnit.id, SpareUnit.serial, Part.part_number)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .where(col(SpareUnit.id).in_({m.spare_id for m in pending}))
    ).all()
    units = {spare_id: (serial, number) for spare_id, serial, number in rows}
    warehouse_ids = {m.from_warehouse_id for m in pending} | {m.to_warehouse_id for m in pending}
    codes: dict[int | None, str] = dict(
        session.execute(
            select(Warehouse.id, Warehouse.code).where(col(Warehouse.id).in_(warehouse_ids))
        ).all()
    )
    session.info[_READY] = [
        SpareChange(
            movement_id=m.id or 0,
            spare_id=m.spare_id,
            part_number=units[m.spare_id][1],
            serial=units[m.spare_id][0],
            action=m.action,
            from_status=m.from_status,
            to_status=m.to_status,
            from_warehouse_code=codes.get(m.from_warehouse_id),
            to_warehouse_code=codes.get(m.to_warehouse_id),
            at=m.at,
        )
        for m in sorted(pending, key=lambda m: m.id or 0)
    ]


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    changes: list[SpareChange] = session.info.pop(_READY, [])
    session.info.pop(_PENDING, None)
    publisher = _publisher
    if publisher is None or not changes:
        return
    import redis

    try:
        with publisher.client.pipeline(transaction=False) as pipe:
            for change in changes:
                pipe.publish(channel(change.part_number), change.model_dump_json())
            pipe.execute()
    except redis.RedisError:
        log.exception("could not publish %d spare changes", len(changes))


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_READY, None)


async def changes(part_number: str) -> AsyncIterator[SpareChange]:
    """Committed changes of `part_number`'s units from now on (until the caller stops)."""
    if _publisher is None:
        return
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(_publisher.url)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel(part_number))
        async for message in pubsub.listen():
            if message.get("type") == "message":
                yield SpareChange.model_validate_json(message["data"])
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()
