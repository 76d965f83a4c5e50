"""The device register: devices at sites, their components in slots, and their history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, field_validator
from pydantic import Field as PField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

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
    not_null_in_schema,
    utcnow,
)


class DeviceStatus(StrEnum):
    IN_SERVICE = "in_service"
    FAULTY = "faulty"
    UNDER_REPAIR = "under_repair"
    STANDBY = "standby"
    ON_LOAN = "on_loan"
    RETIRED = "retired"


class Device(SQLModel, table=True):
    __tablename__ = "device"
    __table_args__ = (
        Index("ix_device_site_id_status", "site_id", "status"),
        Index("ix_device_model", "model"),
        Index("ix_device_firmware_version", "firmware_version"),
        Index("ix_device_patch_level", "patch_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    vendor: str = Field(max_length=100)
    model: str = Field(max_length=100)
    hostname: str = Field(max_length=200)
    serial: str = Field(max_length=100, unique=True)
    status: str = Field(max_length=20, default=DeviceStatus.IN_SERVICE.value)
    firmware_version: str | None = Field(default=None, max_length=100)
    patch_level: str | None = Field(default=None, max_length=100)
    microcode_level: str | None = Field(default=None, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Component(SQLModel, table=True):
    """A part installed in a device's slot; a removed one leaves (its history stays)."""

    __tablename__ = "component"
    __table_args__ = (UniqueConstraint("device_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    slot: str = Field(max_length=100)
    part_id: int = Field(foreign_key="part.id", index=True)
    serial: str = Field(max_length=100, unique=True)
    installed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceHistory(SQLModel, table=True):
    """Append-only: one row per change of a device, written in the change's transaction."""

    __tablename__ = "device_history"

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    action: str = Field(max_length=40)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    actor: str = Field(max_length=200)
    reference: str | None = Field(default=None, max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


DeviceStatusIn = Annotated[DeviceStatus, PField(strict=False)]


class ComponentCreate(RequestModel):
    slot: Short
    part_number: Code
    serial: Serial


class DeviceCreate(RequestModel):
    site_code: Code
    vendor: Short
    model: Short
    hostname: Name
    serial: Serial
    status: DeviceStatusIn = DeviceStatus.IN_SERVICE
    firmware_version: Short | None = None
    patch_level: Short | None = None
    microcode_level: Short | None = None
    config: dict[str, Any] = PField(default_factory=dict)
    components: list[ComponentCreate] = PField(default_factory=list, max_length=500)


class DeviceUpdate(RequestModel):
    """The fields a PATCH may change; a level may be cleared with null, the rest may not."""

    model_config = ConfigDict(json_schema_extra=not_null_in_schema("config", "status", "hostname"))

    firmware_version: Short | None = None
    patch_level: Short | None = None
    microcode_level: Short | None = None
    config: dict[str, Any] | None = None
    status: DeviceStatusIn | None = None
    hostname: Name | None = None
    reference: Reference | None = PField(
        default=None, description="Ticket or change number written into the history row."
    )

    @field_validator("config", "status", "hostname", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class ComponentInstall(RequestModel):
    slot: Short
    part_number: Code
    serial: Serial
    reference: Reference | None = None


class ComponentSwap(RequestModel):
    """The new part for a slot; the removed part's number and serial go into the history."""

    part_number: Code
    serial: Serial
    reference: Reference | None = None


class ImportResult(ReadModel):
    imported: int


class ComponentRead(ReadModel):
    id: int
    slot: str
    part_number: str
    serial: str
    installed_at: datetime


class DeviceRead(ReadModel):
    id: int
    site_code: str
    customer_code: str
    vendor: str
    model: str
    hostname: str
    serial: str
    status: DeviceStatus
    firmware_version: str | None
    patch_level: str | None
    microcode_level: str | None
    config: dict[str, Any]
    components: list[ComponentRead]
    created_at: datetime
    updated_at: datetime


class DeviceHistoryRead(ReadModel):
    id: int
    device_id: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    reference: str | None
    at: datetime
