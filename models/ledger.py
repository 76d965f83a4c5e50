"""The append-only movement ledger: one row per status or warehouse change of a spare unit."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import ReadModel, UTCDateTime, utcnow


class Movement(SQLModel, table=True):
    __tablename__ = "movement"

    id: int | None = Field(default=None, primary_key=True)
    spare_id: int = Field(foreign_key="spare_unit.id", index=True)
    action: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    from_warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    to_warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    actor: str = Field(max_length=200)
    reference: str | None = Field(default=None, max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MovementRead(ReadModel):
    id: int
    spare_id: int
    action: str
    from_status: str | None
    to_status: str
    from_warehouse_code: str | None
    to_warehouse_code: str | None
    actor: str
    reference: str | None
    at: datetime
