"""Shared column types, the constraint naming convention and the base of request schemas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic import AwareDatetime as PydanticAwareDatetime
from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from models import bounds

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back timezone-aware UTC datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


_ATOMS: Final = (int, float, bool)


class RequestModel(BaseModel):
    """Base of every request body: no coercion (a number is not text) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL (in text or JSON); refused everywhere, nested texts too.
        kind = type(value)
        if value is None or kind in _ATOMS or (kind is str and bounds.NUL not in value):
            return value  # the common cases, without a walk (an import checks millions)
        where = bounds.nul_path(value)
        if where is not None:
            inside = "".join(f"[{p!r}]" for p in where)
            raise ValueError(
                f"must not hold a NUL character{' (at ' + inside + ')' if inside else ''}"
            )
        return value


def not_null_in_schema(*names: str) -> Callable[[dict[str, Any]], None]:
    """A `json_schema_extra` stating that these optional fields, when given, are not null."""

    def edit(schema: dict[str, Any]) -> None:
        for name in names:
            field = schema["properties"][name]
            options = [o for o in field.pop("anyOf", []) if o.get("type") != "null"]
            if len(options) == 1:
                field.update(options[0])
            elif options:
                field["anyOf"] = options
            field.pop("default", None)

    return edit


class ReadModel(BaseModel):
    """Base of every response body, built from table rows."""

    model_config = ConfigDict(from_attributes=True)


Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=bounds.CODE, pattern=r"^[^\s\x00]+$"
    ),
]
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=bounds.NAME, pattern=bounds.NO_NUL_PATTERN
    ),
]
Short = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=bounds.SHORT, pattern=bounds.NO_NUL_PATTERN
    ),
]
"""A short name (vendor, model, category, slot, city, firmware level): 100 characters."""
Serial = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=bounds.SHORT, pattern=r"^[^\s\x00]+$"
    ),
]
Reference = Annotated[
    str, StringConstraints(max_length=bounds.REFERENCE, pattern=bounds.NO_NUL_PATTERN)
]
"""A caller's reference for a change (ticket, work order): its ledger column holds 200."""
Text = Annotated[str, StringConstraints(max_length=bounds.LONG, pattern=bounds.NO_NUL_PATTERN)]


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Times arrive as ISO 8601 text in JSON; strict mode would refuse the text, so they opt out.
# A time must carry its zone (a naive one is 422); it is kept in UTC from the start, so that a
# create answers it exactly as its GET will (`...Z`), whatever offset the caller wrote.
AwareDatetime = Annotated[PydanticAwareDatetime, Field(strict=False), AfterValidator(_as_utc)]
JSONObject = dict[str, Any]
