"""Errors declared: every operation's OpenAPI entry lists the statuses it can answer, with the
contract's error schema; required headers, bounds and formats are stated in the schema."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from models import bounds
from tests import factories

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
PUBLIC = {"/healthz", "/readyz"}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if not path.startswith("/graphql")
    ]


def test_every_operation_declares_its_errors_with_the_error_schema(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        responses = op["responses"]
        for status, response in responses.items():
            if status.startswith(("4", "5")) and path not in PUBLIC:
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR_REF, (method, path, status)
        assert "422" in responses, (method, path)
        if path in PUBLIC:
            continue
        assert {"401", "503"} <= set(responses), (method, path)
        if method in {"post", "patch", "delete"}:
            assert {"403", "409", "413"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
    error = spec["components"]["schemas"]["ErrorInfo"]
    assert set(error["required"]) == {"code", "message"}


def test_roles_and_preconditions_are_declared_where_they_apply(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert "403" in paths["/api/v1/reservations"]["get"]["responses"]  # staff only
    assert "403" not in paths["/api/v1/devices"]["get"]["responses"]  # every role reads
    assert "412" in paths["/api/v1/devices/{device_id}"]["patch"]["responses"]
    assert "412" not in paths["/api/v1/devices"]["post"]["responses"]


def test_headers_bounds_and_formats_are_stated(spec: dict[str, Any]) -> None:
    reserve = spec["paths"]["/api/v1/reservations"]["post"]
    key = next(p for p in reserve["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is True
    assert key["schema"]["maxLength"] == 200
    device = spec["paths"]["/api/v1/devices/{device_id}"]["get"]["parameters"][0]
    assert (device["schema"]["minimum"], device["schema"]["maximum"]) == (1, bounds.MAX_ID)
    listing = spec["paths"]["/api/v1/devices"]["get"]["parameters"]
    cursor = next(p for p in listing if p["name"] == "cursor")
    assert "pattern" in cursor["schema"]["anyOf"][0]
    for param in listing:
        options = param["schema"].get("anyOf", [param["schema"]])
        for option in options:
            if option.get("type") == "string":
                assert "maxLength" in option, param["name"]
    availability = spec["paths"]["/api/v1/availability"]["get"]["parameters"]
    deadline = next(p for p in availability if p["name"] == "deadline_minutes")
    assert deadline["schema"]["anyOf"][0]["maximum"] == 10080
    for name, schema in spec["components"]["schemas"].items():
        if not name.endswith(("Create", "Update", "Receive", "Install", "Swap")):
            continue
        for field, prop in schema.get("properties", {}).items():
            for option in prop.get("anyOf", [prop]):
                if option.get("type") == "string" and "format" not in option:
                    assert "maxLength" in option, f"{name}.{field}"


@pytest.fixture
def registered(db: Database) -> int:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01", customer_code="LNXX")
        device = factories.device(session, "DEV-1")
    assert device.id is not None
    return device.id


def test_an_undecodable_body_is_422_not_400(client: TestClient, admin: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/customers",
        content=b"\x1bW\xff{",
        headers=admin | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"


def test_a_405_names_every_method_of_the_path(
    client: TestClient, admin: dict[str, str], registered: int
) -> None:
    answer = client.request("OPTIONS", "/api/v1/customers", headers=admin)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    answer = client.patch("/api/v1/devices/import", json={}, headers=admin)
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == "POST"


def test_an_if_match_beyond_any_version_is_412(
    client: TestClient, admin: dict[str, str], registered: int
) -> None:
    answer = client.patch(
        f"/api/v1/devices/{registered}",
        json={"hostname": "h2"},
        headers=admin | {"If-Match": '"' + "9" * 30 + '"'},
    )
    assert answer.status_code == 412, answer.text
