"""The parts catalogue: part numbers with a category and specs that the substitution rule reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field as PField
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


class PartCreate(RequestModel):
    part_number: Code
    name: Name
    vendor: Short
    category: Short
    specs: dict[str, SpecValue] = PField(default_factory=dict)


class PartRead(ReadModel):
    id: int
    part_number: str
    name: str
    vendor: str
    category: str
    specs: dict[str, float | int | str]
    created_at: datetime
