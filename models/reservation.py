"""Reservations of spare units, replacements in devices, repair orders and standby loans."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AfterValidator, StringConstraints
from pydantic import Field as PField
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import (
    AwareDatetime,
    Code,
    JSONType,
    Name,
    ReadModel,
    RequestModel,
    Serial,
    Text,
    UTCDateTime,
    utcnow,
)
from models.bounds import Id


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    DISPATCHED = "dispatched"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Reservation(SQLModel, table=True):
    __tablename__ = "reservation"
    __table_args__ = (Index("ix_reservation_status_expires_at", "status", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    part_id: int = Field(foreign_key="part.id")
    spare_id: int = Field(foreign_key="spare_unit.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="device.id")
    warehouse_id: int = Field(foreign_key="warehouse.id")
    ticket: str = Field(max_length=200, index=True)
    engineer: str = Field(max_length=200, index=True)
    status: str = Field(max_length=20)
    eta_minutes: int
    substitute: bool = False
    actor: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReservationCreate(RequestModel):
    site_code: Code
    part_number: Code
    ticket: Name
    engineer: Name
    device_id: Id | None = None
    spare_id: Id | None = None
    require_within_deadline: bool = True


class ReservationRead(ReadModel):
    id: int
    status: ReservationStatus
    spare_id: int
    serial: str
    part_number: str
    warehouse_code: str
    site_code: str
    ticket: str
    engineer: str
    device_id: int | None
    substitute: bool
    eta_minutes: int
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


class FaultLevel(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    SERIOUS = "serious"
    MINOR = "minor"


class Replacement(SQLModel, table=True):
    __tablename__ = "replacement"

    id: int | None = Field(default=None, primary_key=True)
    reservation_id: int = Field(foreign_key="reservation.id", unique=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    slot: str = Field(max_length=100)
    installed_spare_id: int = Field(foreign_key="spare_unit.id")
    removed_spare_id: int = Field(foreign_key="spare_unit.id")
    removed_serial: str = Field(max_length=100)
    installed_serial: str = Field(max_length=100)
    part_id: int = Field(foreign_key="part.id")
    reason: str = Field(max_length=4000)
    fault_level: str = Field(max_length=20)
    fault_impact: str = Field(max_length=4000)
    fault_reported_at: datetime = Field(sa_type=UTCDateTime)
    arrived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    replaced_at: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_minutes: int
    within_deadline: bool
    # The SLA clock, fixed when recorded (the site's band may change later).
    arrival_minutes: int | None = None
    response_limit_minutes: int | None = None
    arrived_within_response: bool | None = None
    spare_on_site_within_deadline: bool | None = None
    engineer: str = Field(max_length=200)
    customer_confirmed_by: str = Field(max_length=200)
    engineer_confirmed_by: str = Field(max_length=200)
    # The fault record (故障处理报告): may be completed after the replacement.
    remote_support_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    customer_engineer: str | None = Field(default=None, max_length=200)
    process: str | None = Field(default=None, max_length=4000)
    cause: str | None = Field(default=None, max_length=4000)
    solution: str | None = Field(default=None, max_length=4000)
    prevention: str | None = Field(default=None, max_length=4000)
    actor: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReplacementEdit(SQLModel, table=True):
    """One change of a replacement's fault record: who, when, each field before and after."""

    __tablename__ = "replacement_edit"

    id: int | None = Field(default=None, primary_key=True)
    replacement_id: int = Field(foreign_key="replacement.id", index=True)
    actor: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    changes: dict[str, Any] = Field(sa_type=JSONType)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# Free text of the fault record: bounded by its column, never holding a NUL.
FaultText = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_no_nul)]
PersonName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
FAULT_RECORD_FIELDS: Final = (
    "remote_support_at",
    "customer_engineer",
    "process",
    "cause",
    "solution",
    "prevention",
)


class FaultRecord(RequestModel):
    """The fault record's optional fields (故障处理报告)."""

    remote_support_at: AwareDatetime | None = PField(
        default=None, description="When remote support began (between report and arrival)"
    )
    customer_engineer: PersonName | None = PField(
        default=None, description="The customer's engineer on the case"
    )
    process: FaultText | None = PField(default=None, description="处理过程: what was done")
    cause: FaultText | None = PField(default=None, description="故障原因")
    solution: FaultText | None = PField(default=None, description="解决方案")
    prevention: FaultText | None = PField(default=None, description="预防措施")


class ReplacementCreate(FaultRecord):
    reservation_id: Id
    device_id: Id
    removed_serial: Serial
    reason: Annotated[Text, PField(min_length=1)]
    fault_level: Annotated[FaultLevel, PField(strict=False)]
    fault_impact: Annotated[Text, PField(min_length=1)]
    fault_reported_at: AwareDatetime
    arrived_at: AwareDatetime | None = None
    replaced_at: AwareDatetime
    customer_confirmed_by: Name
    engineer_confirmed_by: Name


class ReplacementRead(ReadModel):
    id: int
    reservation_id: int
    device_id: int
    site_code: str
    customer_code: str
    slot: str
    part_number: str
    removed_serial: str
    installed_serial: str
    removed_spare_id: int
    installed_spare_id: int
    reason: str
    fault_level: FaultLevel
    fault_impact: str
    fault_reported_at: datetime
    arrived_at: datetime | None
    replaced_at: datetime
    duration_minutes: int
    within_deadline: bool
    arrival_minutes: int | None = PField(
        description="arrived_at − fault_reported_at, whole minutes rounded down; null without"
        " arrived_at"
    )
    response_limit_minutes: int | None = PField(
        description="The site's on-site response band when recorded (30/60/180/300); null"
        " without arrived_at or for a site beyond the bands"
    )
    arrived_within_response: bool | None = PField(
        description="arrival_minutes ≤ response_limit_minutes; null when either is null"
    )
    spare_on_site_within_deadline: bool | None = PField(
        description="arrival_minutes ≤ the deadline (240 by default); null without arrived_at"
    )
    engineer: str
    customer_confirmed_by: str
    engineer_confirmed_by: str
    remote_support_at: datetime | None
    customer_engineer: str | None = PField(json_schema_extra={"maxLength": 200})
    process: str | None = PField(json_schema_extra={"maxLength": 4000})
    cause: str | None = PField(json_schema_extra={"maxLength": 4000})
    solution: str | None = PField(json_schema_extra={"maxLength": 4000})
    prevention: str | None = PField(json_schema_extra={"maxLength": 4000})
    created_at: datetime
    updated_at: datetime


def _fixed(value: object) -> object:
    raise ValueError("is fixed when the replacement is recorded and may not change")


# A field of the record that a PATCH may not touch: any value given is a 422 naming it.
Fixed = SkipJsonSchema[Annotated[object, AfterValidator(_fixed)]]


class ReplacementUpdate(FaultRecord):
    """`PATCH /replacements/{id}`: only the fault record; a field sent as null is cleared.

    The times, the confirmations and what was swapped are fixed at creation (422)."""

    reservation_id: Fixed = None
    device_id: Fixed = None
    removed_serial: Fixed = None
    reason: Fixed = None
    fault_level: Fixed = None
    fault_impact: Fixed = None
    fault_reported_at: Fixed = None
    arrived_at: Fixed = None
    replaced_at: Fixed = None
    customer_confirmed_by: Fixed = None
    engineer_confirmed_by: Fixed = None


class FieldChange(ReadModel):
    field: str
    before: Any
    after: Any


class ReplacementEditRead(ReadModel):
    id: int
    replacement_id: int
    actor: str
    at: datetime
    changes: list[FieldChange]


class RepairStatus(StrEnum):
    OPEN = "open"
    REPAIRED = "repaired"
    SCRAPPED = "scrapped"


class RepairOrder(SQLModel, table=True):
    __tablename__ = "repair_order"

    id: int | None = Field(default=None, primary_key=True)
    spare_id: int = Field(foreign_key="spare_unit.id", index=True)
    vendor: str = Field(max_length=200)
    rma_number: str = Field(max_length=200, index=True)
    status: str = Field(max_length=20)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)


class RepairCreate(RequestModel):
    spare_id: Id
    vendor: Name
    rma_number: Name


class RepairOutcome(StrEnum):
    REPAIRED = "repaired"
    SCRAPPED = "scrapped"


class RepairReceive(RequestModel):
    outcome: Annotated[RepairOutcome, PField(strict=False)]


class RepairRead(ReadModel):
    id: int
    spare_id: int
    serial: str
    part_number: str
    vendor: str
    rma_number: str
    status: RepairStatus
    sent_at: datetime
    received_at: datetime | None


class LoanStatus(StrEnum):
    OUT = "out"
    RETURNED = "returned"


class Loan(SQLModel, table=True):
    __tablename__ = "loan"

    id: int | None = Field(default=None, primary_key=True)
    standby_device_id: int = Field(foreign_key="device.id", index=True)
    replaces_device_id: int = Field(foreign_key="device.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    home_site_id: int = Field(foreign_key="site.id")
    ticket: str = Field(max_length=200)
    status: str = Field(max_length=20)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)


class LoanCreate(RequestModel):
    standby_device_id: Id
    site_code: Code
    replaces_device_id: Id
    ticket: Name
    due_at: AwareDatetime | None = None


class LoanRead(ReadModel):
    id: int
    standby_device_id: int
    replaces_device_id: int
    site_code: str
    ticket: str
    status: LoanStatus
    due_at: datetime | None
    lent_at: datetime
    returned_at: datetime | None
    overdue: bool
