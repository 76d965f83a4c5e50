"""GraphQL types, generated from the same read models REST answers with (so both agree)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import strawberry
from strawberry.experimental.pydantic import type as from_model
from strawberry.scalars import JSON

from models.part import PartRead
from models.place import CustomerRead, SiteRead, WarehouseRead
from models.reservation import RepairRead, ReplacementRead, ReservationRead

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


@from_model(model=ReservationRead, all_fields=True)
class Reservation:
    id: strawberry.ID
    spare_id: strawberry.ID


@from_model(model=ReplacementRead, all_fields=True)
class Replacement:
    id: strawberry.ID


@from_model(model=RepairRead, all_fields=True)
class Repair:
    id: strawberry.ID
    spare_id: strawberry.ID


@strawberry.input(description="What `POST /reservations` takes.")
class ReserveInput:
    site_code: str
    part_number: str
    ticket: str
    engineer: str
    device_id: strawberry.ID | None = None
    spare_id: strawberry.ID | None = None
    require_within_deadline: bool = True


@strawberry.input(description="What `POST /replacements` takes.")
class ReplacementInput:
    reservation_id: strawberry.ID
    device_id: strawberry.ID
    removed_serial: str
    reason: str
    fault_level: str
    fault_impact: str
    fault_reported_at: datetime
    replaced_at: datetime
    customer_confirmed_by: str
    engineer_confirmed_by: str
    arrived_at: datetime | None = None
