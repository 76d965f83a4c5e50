"""The parts catalogue: part numbers with a category and specs that the substitution rule reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from models.base import (
    Code,
    JSONType,
    Name,
    ReadModel,
    RequestModel,
    Short,
    UTCDateTime,
    utcnow,
)

SpecValue = Annotated[float | int | str, PField(union_mode="left_to_right")]


class Part(SQLModel, table=True):
    __tablename__ = "part"

    id: int | None = Field(default=None, primary_key=True)
    part_number: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    vendor: str = Field(max_length=100)
    category: str = Field(max_length=100, index=True)
    specs: dict[str, float | int | str] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PartAlternate(SQLModel, table=True):
    """A documented approval: `alternate_part_id` may replace `part_id` (one way only)."""

    __tablename__ = "part_alternate"
    __table_args__ = (UniqueConstraint("part_id", "alternate_part_id"),)

    id: int | None = Field(default=None, primary_key=True)
    part_id: int = Field(foreign_key="part.id")
    alternate_part_id: int = Field(foreign_key="part.id", index=True)
    document: str = Field(max_length=200)
    actor: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PartCreate(RequestModel):
    part_number: Code
    name: Name
    vendor: Short
    category: Short
    specs: dict[str, SpecValue] = PField(default_factory=dict)


class AlternateCreate(RequestModel):
    part_number: Code
    document: Name


class AlternateRead(ReadModel):
    part_number: str
    document: str


class PartRead(ReadModel):
    id: int
    part_number: str
    name: str
    vendor: str
    category: str
    specs: dict[str, float | int | str]
    created_at: datetime
    # Parts approved to replace this one (another vendor's included), by part number.
    alternates: list[AlternateRead] = PField(default_factory=list)
