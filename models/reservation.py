"""Reservations of spare units, replacements in devices, repair orders and standby loans."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field as PField
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import (
    AwareDatetime,
    Code,
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
    engineer: str = Field(max_length=200)
    customer_confirmed_by: str = Field(max_length=200)
    engineer_confirmed_by: str = Field(max_length=200)
    actor: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReplacementCreate(RequestModel):
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
    engineer: str
    customer_confirmed_by: str
    engineer_confirmed_by: str
    created_at: datetime


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
