"""Repair orders through GraphQL: parity with REST and the staff-only role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.api.graphql.conftest import GQL, fields_of, normalise
from tests.conftest import TokenFactory

API = "/api/v1"


@pytest.fixture
def repair(db: Database, client: TestClient, admin: dict[str, str]) -> dict[str, object]:
    with db.transaction() as session:
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY")
        unit = factories.faulty_unit(session, "BAD-1")
    answer = client.post(
        f"{API}/repairs",
        json={"spare_id": unit.id, "vendor": "Dell", "rma_number": "RMA-1"},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_repairs_match_rest(
    client: TestClient, gql: GQL, admin: dict[str, str], repair: dict[str, object]
) -> None:
    page = client.get(f"{API}/repairs", headers=admin).json()
    answer = gql(f"{{ repairs {{ items {{ {fields_of(repair)} }} nextCursor }} }}", admin)
    assert normalise(answer["data"]["repairs"]) == normalise(page)
    one = gql(f'{{ repair(id: "{repair["id"]}") {{ {fields_of(repair)} }} }}', admin)
    assert normalise(one["data"]["repair"]) == normalise(repair)
    filtered = gql('{ repairs(rmaNumber: "RMA-2") { items { id } } }', admin)
    assert filtered["data"]["repairs"]["items"] == []


@pytest.mark.usefixtures("repair")
def test_a_customer_may_not_read_repairs(gql: GQL, headers_for: TokenFactory, db: Database) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
    answer = gql("{ repairs { items { id } } }", headers_for("customer", customer="LNXX"))
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "forbidden"


def test_a_repaired_unit_takes_the_repair_as_provenance(
    gql: GQL, admin: dict[str, str], repair: dict[str, object]
) -> None:
    received = gql(
        f'mutation {{ receiveRepair(id: "{repair["id"]}", outcome: "repaired") {{ status }} }}',
        admin,
    )
    assert received["data"]["receiveRepair"]["status"] == "REPAIRED"
    unit = gql(
        f'{{ spare(id: "{repair["spare_id"]}") {{ status genuine condition '
        "provenance { supplier channel document } } }",
        admin,
    )["data"]["spare"]
    assert unit == {
        "status": "AVAILABLE",
        "genuine": True,
        "condition": "REFURBISHED",
        "provenance": {"supplier": "Dell", "channel": "repair", "document": "RMA-1"},
    }
