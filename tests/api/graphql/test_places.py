"""Customers, sites, warehouses and parts through GraphQL: parity with REST, auth, scope, errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory_service.assets import places
from tests.api.graphql.conftest import GQL
from tests.conftest import TokenFactory


def camel(row: dict[str, Any]) -> dict[str, Any]:
    def convert(key: str) -> str:
        head, *rest = key.split("_")
        return head + "".join(part.title() for part in rest)

    return {convert(k): v for k, v in row.items()}


@pytest.fixture
def data(client: TestClient, admin: dict[str, str]) -> None:
    for code in ("LNXX", "LNGRID"):
        client.post("/api/v1/customers", json={"code": code, "name": code}, headers=admin)
    for code, customer, lat in (("SY-1", "LNXX", 41.8), ("DL-1", "LNGRID", 38.9)):
        client.post(
            "/api/v1/sites",
            json={
                "code": code,
                "name": code,
                "customer_code": customer,
                "city": code,
                "lat": lat,
                "lon": 123.0,
            },
            headers=admin,
        )


def test_without_a_token_graphql_is_401(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ customers { items { id } } }"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.usefixtures("data")
def test_sites_match_rest(client: TestClient, gql: GQL, admin: dict[str, str]) -> None:
    rest = client.get("/api/v1/sites", headers=admin).json()["items"]
    fields = " ".join(camel(rest[0]))
    answer = gql(f"{{ sites {{ items {{ {fields} }} nextCursor }} }}", admin)
    assert "errors" not in answer
    got = answer["data"]["sites"]["items"]
    for rest_row, gql_row in zip(rest, got, strict=True):
        expected = camel(rest_row) | {"id": str(rest_row["id"])}
        for key in ("createdAt", "updatedAt"):
            expected.pop(key)
            gql_row.pop(key)
        assert gql_row == expected
    assert answer["data"]["sites"]["nextCursor"] is None


@pytest.mark.usefixtures("data")
def test_a_customer_sees_only_its_own_places(gql: GQL, headers_for: TokenFactory) -> None:
    own = headers_for("customer", customer="LNXX")
    answer = gql("{ customers { items { code } } sites { items { code } } }", own)
    assert answer["data"]["customers"]["items"] == [{"code": "LNXX"}]
    assert answer["data"]["sites"]["items"] == [{"code": "SY-1"}]
    hidden = gql('{ site(code: "DL-1") { code } customer(code: "LNGRID") { code } }', own)
    assert hidden["data"] == {"site": None, "customer": None}


def test_errors_carry_the_rest_code(gql: GQL, admin: dict[str, str]) -> None:
    answer = gql("{ customers(limit: 501) { items { id } } }", admin)
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    bad_cursor = gql('{ parts(cursor: "zz!") { items { id } } }', admin)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "validation_error"


def test_unexpected_errors_are_masked(
    gql: GQL, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("password=hunter2 of customer LNGRID")

    monkeypatch.setattr(places, "list_warehouses", boom)
    answer = gql("{ warehouses { items { id } } }", admin)
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "internal_error"
    assert "hunter2" not in str(answer)
