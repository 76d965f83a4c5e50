"""The one place that says what the columns can hold: id range, text lengths, no NUL.

Rules that always hold: every id the service accepts lies in 1..MAX_ID, the range of the id
columns on both databases (they are INTEGER: 64-bit on SQLite but 32-bit on PostgreSQL, where
a larger parameter fails the query), so anything beyond, up to 64 bits and past them, is
refused before a query is built; every text a request carries
is at most as long as the column it lands in (the lengths below are used by the tables and
the request schemas alike); no text holds a NUL character (PostgreSQL cannot store one); and
a reference the service composes from user text is fitted to its column with `fit`, so no
request becomes impossible because of what the service adds to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, Field

MAX_ID: Final = 2**31 - 1
"""The largest id a row can have (PostgreSQL INTEGER, the narrower of the two databases)."""

CODE: Final = 64
"""Codes of customers, sites, warehouses and part numbers."""
SHORT: Final = 100
"""Serials, vendors, models, categories, slots, cities, firmware levels."""
NAME: Final = 200
"""Names, tickets, engineers, suppliers, documents, references."""
LONG: Final = 4000
"""Free text: addresses, fault descriptions, fault-record prose."""
REFERENCE: Final = NAME
"""Ledger and device-history references."""

NUL: Final = "\x00"
NO_NUL_PATTERN: Final = r"^[^\x00]*$"
"""The JSON-schema pattern of a text without NUL (the documented form of the rule)."""

_ID_TEXT = re.compile(r"[0-9]{1,10}")


def _whole(value: Any) -> Any:
    # JSON Schema counts 7.0 as an integer; a float with a fraction stays a float (refused).
    return int(value) if isinstance(value, float) and value.is_integer() else value


Id = Annotated[
    int, Field(ge=1, le=MAX_ID, description="An id (1 .. 2^31-1)."), BeforeValidator(_whole)
]
"""An id in a request body."""


def parse_id(text: str) -> int:
    """A textual id (GraphQL `ID`, a cursor) as an int in 1..MAX_ID, else ValueError."""
    if not _ID_TEXT.fullmatch(text):
        raise ValueError("not an id: digits only, at most 10")
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"an id is between 1 and {MAX_ID}")
    return value


def fit(text: str | None, length: int = REFERENCE) -> str | None:
    """`text` cut to `length` characters (with a trailing ellipsis when cut)."""
    if text is None or len(text) <= length:
        return text
    return text[: length - 1] + "…"


def nul_path(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in `value` (a JSON-like tree) a text holds NUL, or None if nowhere."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return (*path, key.replace(NUL, "\\u0000"))
            found = nul_path(item, (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_path(item, (*path, index))
            if found is not None:
                return found
    return None


# The types of list filters (service `<Thing>Filter` dataclasses); `api.filters` turns their
# bounds into REST query constraints and GraphQL argument checks.
CodeFilter = Annotated[str | None, Field(max_length=CODE)]
ShortFilter = Annotated[str | None, Field(max_length=SHORT)]
NameFilter = Annotated[str | None, Field(max_length=NAME)]
IdFilter = Annotated[int | None, Field(ge=1, le=MAX_ID, description="An id (1 .. 2^31-1).")]
