"""Response shapes shared by every REST resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel

from inventory_service.platform.pagination import CURSOR_PATTERN, MAX_LIMIT, Page
from models import bounds

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (max 500).")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=8,
        pattern=CURSOR_PATTERN,
        description="The `next_cursor` of the previous page (opaque; omit for the first page).",
    ),
]
CodeFilter = Annotated[str | None, Query(max_length=bounds.CODE)]
"""A code filter (customer, site, warehouse, part number): at most 64 characters."""
ShortFilter = Annotated[str | None, Query(max_length=bounds.SHORT)]
"""A short filter (serial, vendor, model, category, city, slot, firmware): 100 characters."""
NameFilter = Annotated[str | None, Query(max_length=bounds.NAME)]
"""A name filter (ticket, engineer, RMA number): 200 characters."""
CodePath = Annotated[str, Path(max_length=bounds.CODE)]
"""A code in a path; a longer one names nothing (404)."""
SlotPath = Annotated[str, Path(max_length=bounds.SHORT)]
"""A slot in a path; a longer one names nothing (404)."""
PathId = Annotated[
    int,
    Path(ge=1, le=bounds.MAX_ID, description="An id (1 .. 2^31-1); no row has any other: 404."),
]
QueryId = Annotated[
    int | None, Query(ge=1, le=bounds.MAX_ID, description="An id (1 .. 2^31-1); else 422.")
]

T = TypeVar("T")
R = TypeVar("R")


class PageOf(BaseModel, Generic[T]):
    """A page of a list: `items` and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None


def page_of(page: Page[R], convert: Callable[[R], T]) -> PageOf[T]:
    return PageOf[T](items=[convert(item) for item in page.items], next_cursor=page.next_cursor)
