"""Role × route: every REST operation answers 403 to exactly the roles the contract keeps out.

The table below is written by hand from the contract (Conventions: roles), not read from the
code's policy; the operations are enumerated from the app itself, so a new route without a row
fails here. `admin` may do everything.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.conftest import TokenFactory

EVERYONE = frozenset({"customer", "dispatcher", "engineer", "reporter", "warehouse"})
STAFF = EVERYONE - {"customer"}
NONE: frozenset[str] = frozenset()
FIELD = frozenset({"dispatcher", "engineer"})
STOCK = frozenset({"warehouse"})

# (method, path) → the roles besides admin that may call it.
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/api/v1/customers"): NONE,
    ("GET", "/api/v1/customers"): EVERYONE,
    ("GET", "/api/v1/customers/{code}"): EVERYONE,
    ("POST", "/api/v1/sites"): NONE,
    ("GET", "/api/v1/sites"): EVERYONE,
    ("GET", "/api/v1/sites/{code}"): EVERYONE,
    ("PATCH", "/api/v1/sites/{code}"): NONE,
    ("POST", "/api/v1/warehouses"): NONE,
    ("GET", "/api/v1/warehouses"): EVERYONE,
    ("GET", "/api/v1/warehouses/{code}"): EVERYONE,
    ("POST", "/api/v1/parts"): STOCK,
    ("GET", "/api/v1/parts"): EVERYONE,
    ("GET", "/api/v1/parts/{part_number}"): EVERYONE,
    ("GET", "/api/v1/parts/{part_number}/substitutes"): EVERYONE,
    ("POST", "/api/v1/parts/{part_number}/alternates"): NONE,
    ("DELETE", "/api/v1/parts/{part_number}/alternates/{alternate}"): NONE,
    ("POST", "/api/v1/devices"): frozenset({"dispatcher"}),
    ("POST", "/api/v1/devices/import"): frozenset({"dispatcher"}),
    ("GET", "/api/v1/devices"): EVERYONE,
    ("GET", "/api/v1/devices/{device_id}"): EVERYONE,
    ("PATCH", "/api/v1/devices/{device_id}"): FIELD,
    ("GET", "/api/v1/devices/{device_id}/history"): EVERYONE,
    ("POST", "/api/v1/devices/{device_id}/components"): FIELD,
    ("POST", "/api/v1/devices/{device_id}/components/{slot}/swap"): FIELD,
    ("DELETE", "/api/v1/devices/{device_id}/components/{slot}"): FIELD,
    ("POST", "/api/v1/repairs"): STOCK,
    ("POST", "/api/v1/repairs/{repair_id}/receive"): STOCK,
    ("GET", "/api/v1/repairs"): STAFF,
    ("GET", "/api/v1/repairs/{repair_id}"): STAFF,
    ("POST", "/api/v1/spares"): STOCK,
    ("GET", "/api/v1/spares"): EVERYONE,
    ("GET", "/api/v1/spares/summary"): EVERYONE,
    ("GET", "/api/v1/spares/export"): EVERYONE,
    ("GET", "/api/v1/spares/{spare_id}"): EVERYONE,
    ("PATCH", "/api/v1/spares/{spare_id}"): STOCK,
    ("GET", "/api/v1/spares/{spare_id}/movements"): EVERYONE,
    ("POST", "/api/v1/spares/{spare_id}/verify"): STOCK,
    ("POST", "/api/v1/spares/{spare_id}/transfer"): STOCK,
    ("POST", "/api/v1/spares/{spare_id}/scrap"): STOCK,
    ("POST", "/api/v1/warehouses/{code}/stocktakes"): STOCK,
    ("GET", "/api/v1/warehouses/{code}/stocktakes"): STAFF,
    ("GET", "/api/v1/warehouses/{code}/stocktakes/{stocktake_id}"): STAFF,
    ("GET", "/api/v1/reports/replacements"): frozenset({"reporter", "customer"}),
    ("GET", "/api/v1/availability"): EVERYONE,
    ("GET", "/api/v1/coverage"): EVERYONE,
    ("POST", "/api/v1/reservations"): FIELD,
    ("GET", "/api/v1/reservations"): STAFF,
    ("GET", "/api/v1/reservations/{reservation_id}"): STAFF,
    ("POST", "/api/v1/reservations/{reservation_id}/cancel"): FIELD,
    ("POST", "/api/v1/reservations/{reservation_id}/dispatch"): STOCK,
    ("POST", "/api/v1/replacements"): FIELD,
    ("GET", "/api/v1/replacements"): EVERYONE,
    ("GET", "/api/v1/replacements/{replacement_id}"): EVERYONE,
    ("PATCH", "/api/v1/replacements/{replacement_id}"): FIELD,
    ("GET", "/api/v1/replacements/{replacement_id}/fault-report"): EVERYONE,
    ("GET", "/api/v1/replacements/{replacement_id}/edits"): STAFF,
    ("POST", "/api/v1/loans"): frozenset({"dispatcher", "warehouse"}),
    ("POST", "/api/v1/loans/{loan_id}/return"): frozenset({"dispatcher", "warehouse"}),
    ("GET", "/api/v1/loans"): EVERYONE,  # a customer: the loans to its own sites
    ("GET", "/api/v1/loans/{loan_id}"): EVERYONE,
}


def rest_operations() -> list[tuple[str, str]]:
    """Every REST operation the app serves under /api/v1 (from the app, not from a list)."""
    from api.app import create_app

    found = []
    for context in iter_route_contexts(create_app().routes):
        route = context.route
        if isinstance(route, APIRoute) and context.path and context.path.startswith("/api/v1"):
            found.extend((method, context.path) for method in sorted(route.methods or ()))
    return sorted(found)


def test_every_operation_has_a_row() -> None:
    assert sorted(ALLOWED) == rest_operations()


@pytest.fixture
def tokens(db: Database, headers_for: TokenFactory) -> dict[str, dict[str, str]]:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
    roles = ["admin", *sorted(EVERYONE)]
    return {
        role: headers_for(role, customer="LNXX" if role == "customer" else None) for role in roles
    }


def concrete(path: str) -> str:
    path = re.sub(r"\{\w+_id\}", "1", path)
    return re.sub(r"\{\w+\}", "X", path)


@pytest.mark.parametrize(("method", "path"), sorted(ALLOWED))
def test_each_role_is_kept_out_exactly_where_the_table_says(
    client: TestClient, tokens: dict[str, dict[str, str]], method: str, path: str
) -> None:
    allowed = ALLOWED[(method, path)] | {"admin"}
    body = {} if method in {"POST", "PATCH"} else None
    for role, headers in tokens.items():
        answer = client.request(method, concrete(path), headers=headers, json=body)
        assert answer.status_code < 500, (role, method, path, answer.text)
        if role in allowed:
            assert answer.status_code not in (401, 403), (role, method, path, answer.text)
        else:
            assert answer.status_code == 403, (role, method, path, answer.text)
            assert answer.json()["error"]["code"] == "forbidden"
