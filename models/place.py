"""Customers, their sites and the contractor's warehouses (stocking points)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, field_validator
from pydantic import Field as PField
from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from models.base import (
    Code,
    Name,
    ReadModel,
    RequestModel,
    Short,
    Text,
    UTCDateTime,
    not_null_in_schema,
    utcnow,
)

Latitude = Annotated[float, PField(ge=-90, le=90)]
Longitude = Annotated[float, PField(ge=-180, le=180)]


class Customer(SQLModel, table=True):
    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustomerCreate(RequestModel):
    code: Code
    name: Name


class CustomerRead(ReadModel):
    id: int
    code: str
    name: str
    created_at: datetime


class Site(SQLModel, table=True):
    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    city: str = Field(max_length=100, index=True)
    address: str | None = Field(default=None, max_length=4000)
    lat: float
    lon: float
    distance_km_override: float | None = None
    hub_distance_km: float
    hub_band_minutes: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SiteCreate(RequestModel):
    code: Code
    name: Name
    customer_code: Code
    city: Short
    address: Text | None = None
    lat: Latitude
    lon: Longitude
    distance_km_override: Annotated[float, PField(ge=0)] | None = None


class SiteUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra=not_null_in_schema("name", "city", "lat", "lon"))

    name: Name | None = None
    city: Short | None = None
    address: Text | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    distance_km_override: Annotated[float, PField(ge=0)] | None = None

    @field_validator("name", "city", "lat", "lon", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class SiteRead(ReadModel):
    id: int
    code: str
    name: str
    customer_code: str
    city: str
    address: str | None
    lat: float
    lon: float
    distance_km_override: float | None
    hub_distance_km: float
    hub_band_minutes: int | None
    created_at: datetime
    updated_at: datetime


class WarehouseKind(StrEnum):
    CENTRAL = "central"
    DEPOT = "depot"


class Warehouse(SQLModel, table=True):
    __tablename__ = "warehouse"
    __table_args__ = (CheckConstraint("handling_minutes >= 0", name="handling_nonnegative"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    lat: float
    lon: float
    kind: str = Field(max_length=20)
    handling_minutes: int = 0
    hub_distance_km: float
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WarehouseCreate(RequestModel):
    code: Code
    name: Name
    lat: Latitude
    lon: Longitude
    kind: Annotated[WarehouseKind, PField(strict=False)]
    handling_minutes: Annotated[int, PField(ge=0, le=24 * 60)] = 0


class WarehouseRead(ReadModel):
    id: int
    code: str
    name: str
    lat: float
    lon: float
    kind: WarehouseKind
    handling_minutes: int
    hub_distance_km: float
    created_at: datetime
