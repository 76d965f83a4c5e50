"""Response shapes shared by every REST resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from inventory_service.platform.pagination import MAX_LIMIT, Page

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (max 500).")]

T = TypeVar("T")
R = TypeVar("R")


class PageOf(BaseModel, Generic[T]):
    """A page of a list: `items` and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None


def page_of(page: Page[R], convert: Callable[[R], T]) -> PageOf[T]:
    return PageOf[T](items=[convert(item) for item in page.items], next_cursor=page.next_cursor)
