"""GraphQL types, generated from the same read models REST answers with (so both agree)."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry
from strawberry.experimental.pydantic import type as from_model
from strawberry.scalars import JSON

from models.part import PartRead
from models.place import CustomerRead, SiteRead, WarehouseRead

T = TypeVar("T")


@strawberry.type(description="A page of a list; `nextCursor` is null on the last page.")
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@from_model(model=CustomerRead, all_fields=True)
class Customer:
    id: strawberry.ID


@from_model(model=SiteRead, all_fields=True)
class Site:
    id: strawberry.ID


@from_model(model=WarehouseRead, all_fields=True)
class Warehouse:
    id: strawberry.ID


@from_model(model=PartRead, all_fields=True)
class Part:
    id: strawberry.ID
    specs: JSON
