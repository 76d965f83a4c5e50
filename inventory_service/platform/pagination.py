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


SCAN_BATCH = 1000
"""Rows read per statement while a `keep` predicate filters a page in Python."""


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


@overload
def paginate(
    session: Session,
    stmt: Any,
    *,
    id_column: ColumnElement[Any] | Any,
    limit: int,
    cursor: str | None,
    to_items: Callable[[list[Any]], list[U]],
    id_of: Callable[[U], int],
    keep: Callable[[Any], bool] | None = None,
    row_id: Callable[[Any], int] | None = None,
) -> Page[U]: ...


def paginate(
    session: Session,
    stmt: Any,
    *,
    id_column: ColumnElement[Any] | Any,
    limit: int,
    cursor: str | None,
    to_item: Callable[[Any], Any] | None = None,
    to_items: Callable[[list[Any]], list[Any]] | None = None,
    id_of: Callable[[Any], int] | None = None,
    keep: Callable[[Any], bool] | None = None,
    row_id: Callable[[Any], int] | None = None,
) -> Page[Any]:
    """Run `stmt` ordered by `id_column`, one page after `cursor`; convert the rows.

    The one keyset helper of the service: every list pages through it. `to_item` converts
    each row, `to_items` a page of rows at once (one query for their relations). With `keep`,
    rows are read in id order in batches and only those it keeps fill the page (a filter SQL
    cannot state, e.g. natural version order); `row_id` reads a row's id. The next cursor is
    the id of the page's last item (`id_of(item)`, by default `item.id`).
    """
    check_limit(limit)
    after = decode_cursor(cursor)
    if keep is None:
        if after is not None:
            stmt = stmt.where(id_column > after)
        rows = list(session.exec(stmt.order_by(id_column).limit(limit + 1)).all())
    else:
        rows = _scan(session, stmt, id_column, after, limit + 1, keep, row_id or _id)
    more = len(rows) > limit
    rows = rows[:limit]
    if to_items is not None:
        items = to_items(rows)
    else:
        items = [to_item(row) for row in rows] if to_item else rows
    get_id = id_of or _id
    return Page(
        items=items, next_cursor=encode_cursor(get_id(items[-1])) if more and items else None
    )


def _id(item: Any) -> int:
    return int(item.id)


def _scan(
    session: Session,
    stmt: Any,
    id_column: Any,
    after: int | None,
    want: int,
    keep: Callable[[Any], bool],
    row_id: Callable[[Any], int],
) -> list[Any]:
    kept: list[Any] = []
    while len(kept) < want:
        batch_stmt = stmt if after is None else stmt.where(id_column > after)
        batch = list(session.exec(batch_stmt.order_by(id_column).limit(SCAN_BATCH)).all())
        kept += [row for row in batch if keep(row)]
        if len(batch) < SCAN_BATCH:
            break
        after = row_id(batch[-1])
    return kept[:want]
