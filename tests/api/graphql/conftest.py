"""A small GraphQL client for the tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient


class GQL(Protocol):
    def __call__(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]: ...


@pytest.fixture
def gql(client: TestClient) -> GQL:
    """POST a query to /graphql and return the decoded answer."""

    def run(query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        response = client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


def camel(key: str) -> str:
    """A REST field name as GraphQL spells it."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _is_time(key: str) -> bool:
    return key == "at" or key.endswith("At")


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("Id")


def normalise(value: Any, key: str = "") -> Any:
    """A REST or GraphQL answer in one comparable form.

    Keys camelCased; ids as strings (GraphQL `ID`); times as aware datetimes; enum values
    lower-cased (GraphQL enums are the REST values upper-cased). JSON scalars (specs, config,
    history before/after) are left as they are.
    """
    if key in JSON_FIELDS:
        return value
    if isinstance(value, dict):
        return {camel(k): normalise(v, camel(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, key) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if _is_id(key):
        return str(value)
    if _is_time(key) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if key in ENUM_FIELDS and isinstance(value, str):
        return value.lower()
    return value


# Fields that are JSON scalars in GraphQL (free-form objects), compared as they are.
JSON_FIELDS = frozenset(
    {"specs", "config", "before", "after", "rejectedCounts"}
    | {"byPart", "bySite", "byFaultLevel", "byCustomer", "failureRateByPart"}
)

# Fields whose values are enums (GraphQL spells them upper-case).
ENUM_FIELDS = frozenset({"status", "condition", "kind", "faultLevel", "outcome"})


def fields_of(row: dict[str, Any]) -> str:
    """A GraphQL selection of every field of a REST row (nested objects expanded)."""
    parts = []
    for key, value in row.items():
        name = camel(key)
        if isinstance(value, dict) and name not in JSON_FIELDS:
            parts.append(f"{name} {{ {fields_of(value)} }}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            parts.append(f"{name} {{ {fields_of(value[0])} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def fields_of_rows(rows: list[dict[str, Any]]) -> str:
    """`fields_of` over several rows: a list of objects empty in one row (a part without
    alternates) takes its fields from a row where it is not."""
    merged: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if key not in merged or (not merged[key] and isinstance(value, list | dict) and value):
                merged[key] = value
    return fields_of(merged)
