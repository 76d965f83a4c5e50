"""Serialized spare units in warehouses, with genuineness and provenance, and stocktakes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field as PField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from models import bounds
from models.base import (
    Code,
    JSONType,
    Name,
    ReadModel,
    Reference,
    RequestModel,
    Serial,
    Short,
    UTCDateTime,
    utcnow,
)


class UnitStatus(StrEnum):
    QUARANTINED = "quarantined"
    AVAILABLE = "available"
    RESERVED = "reserved"
    DISPATCHED = "dispatched"
    INSTALLED = "installed"
    FAULTY = "faulty"
    AT_REPAIR = "at_repair"
    SCRAPPED = "scrapped"


class Condition(StrEnum):
    NEW = "new"
    REFURBISHED = "refurbished"


class SpareUnit(SQLModel, table=True):
    __tablename__ = "spare_unit"
    __table_args__ = (
        UniqueConstraint("part_id", "serial"),
        # The availability prefilter: part set, status and genuineness, then warehouse.
        Index("ix_spare_unit_part_status", "part_id", "status", "genuine", "warehouse_id"),
        Index("ix_spare_unit_warehouse_status", "warehouse_id", "status"),
        Index("ix_spare_unit_serial", "serial"),
        # The spares list by part and warehouse in id order (migration stock01).
        Index("ix_spare_unit_part_warehouse", "part_id", "warehouse_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    part_id: int = Field(foreign_key="part.id")
    serial: str = Field(max_length=100)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    genuine: bool
    supplier: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=200)
    document: str | None = Field(default=None, max_length=200)
    condition: str = Field(max_length=20)
    status: str = Field(max_length=20)
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    # The firmware the unit carries, when the warehouse knows it (compared with the device's).
    firmware_version: str | None = Field(default=None, max_length=bounds.SHORT)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SpareCount(SQLModel, table=True):
    """How many units of a part a warehouse books per status and genuineness.

    Maintained by `stock.transition` (and a unit's first ledger row) in the same transaction
    as the unit change, so it equals the grouped count of `spare_unit` (units with a
    warehouse) at every commit; `verify_ledger` checks that. Availability reads it instead
    of counting units.
    """

    __tablename__ = "spare_count"

    part_id: int = Field(foreign_key="part.id", primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", primary_key=True)
    status: str = Field(max_length=20, primary_key=True)
    genuine: bool = Field(primary_key=True)
    units: int = Field(default=0)


class Provenance(RequestModel):
    supplier: Annotated[str, PField(max_length=200)] = ""
    channel: Annotated[str, PField(max_length=200)] = ""
    document: Annotated[str, PField(max_length=200)] = ""


class SpareReceive(RequestModel):
    part_number: Code
    serial: Serial
    warehouse_code: Code
    genuine: bool
    provenance: Provenance
    condition: Annotated[Condition, PField(strict=False)]
    firmware_version: Short | None = None


class ProvenanceRead(ReadModel):
    supplier: str | None
    channel: str | None
    document: str | None


class SpareRead(ReadModel):
    id: int
    part_number: str
    part_name: str
    serial: str
    warehouse_code: str | None
    condition: Condition
    genuine: bool
    provenance: ProvenanceRead
    status: UnitStatus
    firmware_version: str | None = None
    received_at: datetime
    updated_at: datetime


class Stocktake(SQLModel, table=True):
    """An audit record: what was counted on the shelf and how it compared with the books."""

    __tablename__ = "stocktake"

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    counted: list[Any] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    actor: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StocktakeLine(RequestModel):
    part_number: Code | None = None
    serial: Serial


class StocktakeCreate(RequestModel):
    counted: list[StocktakeLine] = PField(max_length=100_000)
    note: Name | None = None


class SpareVerify(RequestModel):
    """Completes a quarantined unit's provenance: a field given fills a missing one."""

    supplier: Reference | None = None
    channel: Reference | None = None
    document: Reference | None = None


class SpareUpdate(RequestModel):
    """`PATCH /spares/{id}`: the firmware the unit carries (null: unknown)."""

    firmware_version: Short | None


class SpareTransfer(RequestModel):
    warehouse_code: Code


class SpareScrap(RequestModel):
    reason: Name | None = None


class SpareSummaryRow(ReadModel):
    part_number: str
    warehouse_code: str | None
    status: UnitStatus
    count: int


class SpareSummary(ReadModel):
    items: list[SpareSummaryRow]
    total: int


class StocktakeMissing(ReadModel):
    spare_id: int
    part_number: str
    serial: str
    status: UnitStatus


class StocktakeUnexpected(ReadModel):
    part_number: str | None
    serial: str
    reason: str


class StocktakeMisplaced(ReadModel):
    spare_id: int
    part_number: str
    serial: str
    status: UnitStatus
    booked_warehouse_code: str | None
    reason: str


class StocktakeResult(ReadModel):
    counted: int
    matched: int
    duplicates: list[str]
    missing: list[StocktakeMissing]
    unexpected: list[StocktakeUnexpected]
    misplaced: list[StocktakeMisplaced]


class StocktakeRead(ReadModel):
    id: int
    warehouse_code: str
    actor: str
    note: str | None
    created_at: datetime
    result: StocktakeResult
