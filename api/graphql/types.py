"""GraphQL types, generated from the same read models REST answers with (so both agree)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, cast, get_args, get_origin

import strawberry
from pydantic import BaseModel
from strawberry.experimental.pydantic import type as from_model
from strawberry.scalars import JSON
from strawberry.types import Info, get_object_definition

from api.graphql import loaders
from api.graphql.context import Context
from inventory_service.platform.pagination import DEFAULT_LIMIT
from models.device import ComponentRead, DeviceHistoryRead, DeviceRead
from models.events import SpareChange as SpareChangeRead
from models.ledger import MovementRead
from models.part import AlternateRead, PartRead
from models.place import CustomerRead, SiteRead, WarehouseRead
from models.reachability import (
    AvailabilityRead,
    CandidateRead,
    CoverageRead,
    CoverageRow,
    CoverageUncoverable,
    RejectedRead,
    StockingLine,
)
from models.report import (
    QuarterFailureRates,
    ReplacementReport,
    ReplacementReportRow,
    ReplacementReportSummary,
    ReportPeriod,
)
from models.reservation import (
    FieldChange,
    LoanRead,
    RepairRead,
    ReplacementEditRead,
    ReplacementRead,
    ReservationRead,
)
from models.spare import ProvenanceRead, SpareRead, SpareSummary, SpareSummaryRow

T = TypeVar("T")
S = TypeVar("S")

# How to build each strawberry type from its read model: (field name, nested converter).
_Plan = list[tuple[str, Callable[[Any], Any] | None]]
_PLANS: dict[type, _Plan] = {}


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _nested(annotation: Any) -> Callable[[Any], Any] | None:
    """A converter for a field holding read models (or lists of them); None for plain values."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and args:
        each = _nested(args[0])
        if each is None:
            return None
        return lambda values: [each(v) for v in values]
    if origin is dict and len(args) == 2 and _is_model(args[1]):
        # A map keyed by data (e.g. part numbers) is a JSON scalar: its values as plain JSON.
        return lambda values: {k: v.model_dump(mode="json") for k, v in values.items()}
    if origin in (Union, UnionType):
        members = [a for a in args if a is not type(None)]
        # Optional values: `convert` passes None through before calling the converter.
        return _nested(members[0]) if len(members) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        target = getattr(annotation, "_strawberry_type", None)
        if target is not None:
            return lambda value: convert(target, value)
    return None


def _plan(cls: type, model: BaseModel) -> _Plan:
    fields = type(model).model_fields
    plan: _Plan = [
        (f.python_name, _nested(fields[f.python_name].annotation))
        for f in get_object_definition(cls, strict=True).fields
        if f.base_resolver is None and f.python_name in fields
    ]
    _PLANS[cls] = plan
    return plan


def convert(cls: type[S], model: BaseModel) -> S:
    """`cls.from_pydantic(model)`, without re-reading every type on every call.

    strawberry's `from_pydantic` resolves each field's type per object: for a page of 100
    devices with their components and parts that was half of the request's time.
    """
    plan = _PLANS.get(cls) or _plan(cls, model)
    values = {
        name: (value if nested is None or value is None else nested(value))
        for name, nested in plan
        for value in (getattr(model, name),)
    }
    return cls(**values)


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
    code: str

    @strawberry.field(description="The site's first devices by id (max 500).")
    async def devices(
        self, info: Info[Context, None], limit: int = DEFAULT_LIMIT
    ) -> list[Annotated[Device, strawberry.lazy("api.graphql.types")]]:
        found = await loaders.site_devices(info.context, limit).load(self.code)
        return [convert(Device, d) for d in found]


@from_model(model=WarehouseRead, all_fields=True)
class Warehouse:
    id: strawberry.ID


@from_model(model=AlternateRead, all_fields=True)
class PartAlternate:
    pass


@from_model(model=PartRead, all_fields=True)
class Part:
    id: strawberry.ID
    part_number: str
    specs: JSON

    @strawberry.field(description="Parts that may replace this one under the contract's rule.")
    async def substitutes(
        self, info: Info[Context, None]
    ) -> list[Annotated[Part, strawberry.lazy("api.graphql.types")]]:
        found = await loaders.substitutes(info.context).load(self.part_number)
        return [convert(Part, p) for p in found]


@from_model(model=ProvenanceRead, all_fields=True)
class Provenance:
    pass


@from_model(model=MovementRead, all_fields=True)
class Movement:
    id: strawberry.ID
    spare_id: strawberry.ID


@from_model(model=SpareRead, all_fields=True)
class SpareUnit:
    id: strawberry.ID
    part_number: str
    warehouse_code: str | None

    @strawberry.field(description="The unit's part in the catalogue.")
    def part(self, info: Info[Context, None]) -> Part | None:
        loader = loaders.part(info.context)
        return cast(Part | None, loaders.now_or_later(loader, self.part_number, _part))

    @strawberry.field(description="The warehouse holding the unit (null when out of stock).")
    def warehouse(self, info: Info[Context, None]) -> Warehouse | None:
        if self.warehouse_code is None:
            return None
        loader = loaders.warehouse(info.context)
        return cast(Warehouse | None, loaders.now_or_later(loader, self.warehouse_code, _warehouse))

    @strawberry.field(description="The unit's first ledger rows, oldest first (max 500).")
    async def movements(
        self, info: Info[Context, None], limit: int = DEFAULT_LIMIT
    ) -> list[Movement]:
        found = await loaders.movements(info.context, limit).load(int(self.id))
        return [convert(Movement, m) for m in found]


@from_model(
    model=SpareChangeRead,
    all_fields=True,
    description="One committed movement of a spare unit (no actor or reference).",
)
class SpareChange:
    movement_id: strawberry.ID
    spare_id: strawberry.ID


@from_model(model=SpareSummaryRow, all_fields=True, name="SpareSummaryRow")
class SpareSummaryRowType:
    pass


@from_model(model=SpareSummary, all_fields=True, name="SpareSummary")
class SpareSummaryType:
    pass


@from_model(model=ComponentRead, all_fields=True)
class Component:
    id: strawberry.ID
    part_number: str

    @strawberry.field(description="The component's part in the catalogue.")
    def part(self, info: Info[Context, None]) -> Part | None:
        loader = loaders.part(info.context)
        return cast(Part | None, loaders.now_or_later(loader, self.part_number, _part))


@from_model(model=DeviceHistoryRead, all_fields=True)
class DeviceChange:
    id: strawberry.ID
    device_id: strawberry.ID
    before: JSON | None
    after: JSON | None


@from_model(model=DeviceRead, all_fields=True)
class Device:
    id: strawberry.ID
    site_code: str
    config: JSON

    @strawberry.field(description="The site the device stands at.")
    def site(self, info: Info[Context, None]) -> Site | None:
        loader = loaders.site(info.context)
        return cast(Site | None, loaders.now_or_later(loader, self.site_code, _site))

    @strawberry.field(description="The device's first changes, oldest first (max 500).")
    async def history(
        self, info: Info[Context, None], limit: int = DEFAULT_LIMIT
    ) -> list[DeviceChange]:
        found = await loaders.history(info.context, limit).load(int(self.id))
        return [convert(DeviceChange, h) for h in found]


@from_model(model=ReservationRead, all_fields=True)
class Reservation:
    id: strawberry.ID
    spare_id: strawberry.ID


@from_model(model=ReplacementRead, all_fields=True)
class Replacement:
    id: strawberry.ID


@from_model(model=FieldChange, all_fields=True, name="FieldChange")
class FieldChangeType:
    before: JSON | None
    after: JSON | None


@from_model(model=ReplacementEditRead, all_fields=True, name="ReplacementEdit")
class ReplacementEdit:
    id: strawberry.ID
    replacement_id: strawberry.ID


@from_model(model=RepairRead, all_fields=True)
class Repair:
    id: strawberry.ID
    spare_id: strawberry.ID


@from_model(model=LoanRead, all_fields=True)
class Loan:
    id: strawberry.ID
    standby_device_id: strawberry.ID
    replaces_device_id: strawberry.ID


@from_model(model=CandidateRead, all_fields=True)
class Candidate:
    spare_id: strawberry.ID


@from_model(model=RejectedRead, all_fields=True)
class Rejected:
    spare_id: strawberry.ID


@from_model(
    model=AvailabilityRead,
    all_fields=True,
    description="`GET /availability`: can a genuine replacement reach the site in time.",
)
class Availability:
    rejected_counts: JSON


@from_model(model=CoverageRow, all_fields=True, name="CoverageRow")
class CoverageRowType:
    pass


@from_model(model=StockingLine, all_fields=True, name="StockingLine")
class StockingLineType:
    pass


@from_model(model=CoverageUncoverable, all_fields=True, name="CoverageUncoverable")
class CoverageUncoverableType:
    pass


@from_model(model=CoverageRead, all_fields=True, name="Coverage")
class Coverage:
    pass


@from_model(model=ReportPeriod, all_fields=True, name="ReportPeriod")
class ReportPeriodType:
    pass


@from_model(model=ReplacementReportRow, all_fields=True, name="ReplacementReportRow")
class ReplacementReportRowType:
    pass


@from_model(model=ReplacementReportSummary, all_fields=True, name="ReplacementReportSummary")
class ReplacementReportSummaryType:
    by_part: JSON
    by_site: JSON
    by_fault_level: JSON
    by_customer: JSON
    failure_rate_by_part: JSON


@from_model(model=QuarterFailureRates, all_fields=True, name="QuarterFailureRates")
class QuarterFailureRatesType:
    by_part: JSON


@from_model(model=ReplacementReport, all_fields=True, name="ReplacementReport")
class ReplacementReportType:
    pass


def _part(found: PartRead | None) -> Part | None:
    return convert(Part, found) if found else None


def _site(found: SiteRead | None) -> Site | None:
    return convert(Site, found) if found else None


def _warehouse(found: WarehouseRead | None) -> Warehouse | None:
    return convert(Warehouse, found) if found else None


@strawberry.input(description="What `POST /reservations` takes.")
class ReserveInput:
    site_code: str
    part_number: str
    ticket: str
    engineer: str
    device_id: strawberry.ID | None = None
    spare_id: strawberry.ID | None = None
    require_within_deadline: bool = True


@strawberry.input(description="What `POST /loans` takes.")
class LoanInput:
    standby_device_id: strawberry.ID
    site_code: str
    replaces_device_id: strawberry.ID
    ticket: str
    due_at: datetime | None = None


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
    remote_support_at: datetime | None = None
    customer_engineer: str | None = None
    process: str | None = None
    cause: str | None = None
    solution: str | None = None
    prevention: str | None = None


@strawberry.input(
    description="What `PATCH /replacements/{id}` takes: the fault record only; a field left "
    "out stays as it is, a field given as null is cleared."
)
class ReplacementPatchInput:
    remote_support_at: datetime | None = strawberry.UNSET
    customer_engineer: str | None = strawberry.UNSET
    process: str | None = strawberry.UNSET
    cause: str | None = strawberry.UNSET
    solution: str | None = strawberry.UNSET
    prevention: str | None = strawberry.UNSET
