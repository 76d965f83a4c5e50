"""Keyset pagination by id: `limit` rows after an opaque cursor.

Rules: the cursor is the last id of the previous page in hex, so that its format can be stated
in the schema (`CURSOR_PATTERN`) and every text of that format is a valid cursor; anything
else is a 422 naming `cursor`; pages are ordered by id so they are stable under inserts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import ColumnElement
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from inventory_service.platform.errors import ValidationFailed

T = TypeVar("T")
U = TypeVar("U")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


CURSOR_PATTERN = r"^([0-9a-f]{1,7}|[0-7][0-9a-f]{7})?$"
"""Every text this matches is a cursor (an id in 0..2^31-1 in lower-case hex); nothing else is."""
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(last_id: int) -> str:
    return format(last_id, "x")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor points after; None for the first page."""
    if cursor is None or cursor == "":
        return None
    if not _CURSOR.fullmatch(cursor):
        raise ValidationFailed.field("cursor", "not a cursor this service issued")
    return int(cursor, 16)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


@overload
def paginate(
    session: Session,
    stmt: SelectOfScalar[T],
    *,
    id_column: ColumnElement[Any] | Any,
    limit: int,
    cursor: str | None,
    id_of: Callable[[T], int] | None = None,
) -> Page[T]: ...


@overload
def paginate(
    session: Session,
    stmt: Any,
    *,
    id_column: ColumnElement[Any] | Any,
    limit: int,
    cursor: str | None,
    to_item: Callable[[Any], U],
    id_of: Callable[[U], int] | None = None,
) -> Page[U]: ...


def paginate(
    session: Session,
    stmt: Any,
    *,
    id_column: ColumnElement[Any] | Any,
    limit: int,
    cursor: str | None,
    to_item: Callable[[Any], Any] | None = None,
    id_of: Callable[[Any], int] | None = None,
) -> Page[Any]:
    """Run `stmt` ordered by `id_column`, one page after `cursor`; `to_item` converts each row.

    The one keyset helper of the service: every list pages through it. The next cursor is the
    id of the page's last item (`id_of(item)`, by default `item.id`).
    """
    check_limit(limit)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows = list(session.exec(stmt.order_by(id_column).limit(limit + 1)).all())
    more = len(rows) > limit
    items = [to_item(row) for row in rows[:limit]] if to_item else rows[:limit]
    get_id = id_of or (lambda item: item.id)
    return Page(
        items=items, next_cursor=encode_cursor(get_id(items[-1])) if more and items else None
    )
