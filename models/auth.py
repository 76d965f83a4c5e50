"""API tokens: stored as a SHA-256 hash only, each with one role and an optional customer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    WAREHOUSE = "warehouse"
    DISPATCHER = "dispatcher"
    ENGINEER = "engineer"
    REPORTER = "reporter"
    CUSTOMER = "customer"


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
