"""Spares through GraphQL: parity with REST, relations in one query per batch, scope, limits."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.api.graphql.conftest import GQL, fields_of, normalise
from tests.conftest import Statements, TokenFactory

API = "/api/v1"
Counting = Callable[[], AbstractContextManager[Statements]]


@pytest.fixture
def depot(db: Database) -> Database:
    """Two warehouses, a PSU with a substitute, an HDD; units of each, one moved around."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.site(session, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "HDD-1T", category="server_hdd", specs={"tb": 1})
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL", lat=38.914, lon=121.6147, kind="depot")
        factories.spare(session, "PSU-A")
        factories.spare(session, "PSU-B", part_number="PSU-1100W", warehouse_code="WH-DL")
        factories.spare(session, "HDD-A", part_number="HDD-1T")
        factories.spare(session, "PSU-Q", provenance={})
        factories.installed_part(
            session, site_code="SY-01", part_number="PSU-750W", serial="INST-1"
        )
        factories.installed_part(session, site_code="DL-01", part_number="HDD-1T", serial="INST-2")
    return db


def rest(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    answer = client.get(f"{API}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.usefixtures("depot")
def test_spares_list_and_read_match_rest(
    client: TestClient, gql: GQL, admin: dict[str, str]
) -> None:
    page = rest(client, "/spares?limit=2", admin)
    answer = gql(
        f"{{ spares(limit: 2) {{ items {{ {fields_of(page['items'][0])} }} nextCursor }} }}", admin
    )
    assert "errors" not in answer, answer
    assert normalise(answer["data"]["spares"]) == normalise(page)
    one = rest(client, f"/spares/{page['items'][1]['id']}", admin)
    answer = gql(f'{{ spare(id: "{one["id"]}") {{ {fields_of(one)} }} }}', admin)
    assert normalise(answer["data"]["spare"]) == normalise(one)


@pytest.mark.usefixtures("depot")
def test_spares_filters_match_rest(client: TestClient, gql: GQL, admin: dict[str, str]) -> None:
    page = rest(client, "/spares?part_number=PSU-750W&status=quarantined", admin)
    answer = gql(
        '{ spares(partNumber: "PSU-750W", status: QUARANTINED) { items { serial } nextCursor } }',
        admin,
    )
    assert [u["serial"] for u in page["items"]] == ["PSU-Q"]
    assert answer["data"]["spares"]["items"] == [{"serial": "PSU-Q"}]
    by_wh = gql('{ spares(warehouseCode: "WH-DL") { items { serial } } }', admin)
    assert by_wh["data"]["spares"]["items"] == [{"serial": "PSU-B"}]


@pytest.mark.usefixtures("depot")
def test_summary_movements_and_substitutes_match_rest(
    client: TestClient, gql: GQL, admin: dict[str, str]
) -> None:
    summary = rest(client, "/spares/summary", admin)
    answer = gql(f"{{ sparesSummary {{ {fields_of(summary)} }} }}", admin)
    assert normalise(answer["data"]["sparesSummary"]) == normalise(summary)

    unit = rest(client, "/spares?serial=PSU-A", admin)["items"][0]
    moves = rest(client, f"/spares/{unit['id']}/movements", admin)["items"]
    answer = gql(
        f'{{ spare(id: "{unit["id"]}") {{ movements {{ {fields_of(moves[0])} }} '
        "part { partNumber substitutes { partNumber } } warehouse { code kind } } }",
        admin,
    )
    got = answer["data"]["spare"]
    assert normalise(got["movements"]) == normalise(moves)
    subs = rest(client, "/parts/PSU-750W/substitutes", admin)
    assert got["part"]["partNumber"] == "PSU-750W"
    assert got["part"]["substitutes"] == [{"partNumber": p["part_number"]} for p in subs]
    assert [p["partNumber"] for p in got["part"]["substitutes"]] == ["PSU-750W", "PSU-1100W"]
    assert got["warehouse"] == {"code": "WH-SY", "kind": "CENTRAL"}


@pytest.mark.usefixtures("depot")
def test_a_customer_sees_only_spares_for_its_devices(
    client: TestClient, gql: GQL, headers_for: TokenFactory, admin: dict[str, str]
) -> None:
    own = headers_for("customer", customer="LNXX")
    answer = gql("{ spares { items { serial movements { actor reference } } } }", own)
    serials = sorted(u["serial"] for u in answer["data"]["spares"]["items"])
    assert serials == sorted(u["serial"] for u in rest(client, "/spares", own)["items"])
    assert serials == ["PSU-A", "PSU-B", "PSU-Q"]
    moves = [m for u in answer["data"]["spares"]["items"] for m in u["movements"]]
    assert moves
    assert {(m["actor"], m["reference"]) for m in moves} == {("contractor", None)}
    hdd = rest(client, "/spares?serial=HDD-A", admin)["items"][0]
    hidden = gql(f'{{ spare(id: "{hdd["id"]}") {{ serial }} }}', own)
    assert hidden == {"data": {"spare": None}}


@pytest.mark.usefixtures("depot")
def test_relations_cost_the_same_statements_for_few_and_many_units(
    db: Database, gql: GQL, admin: dict[str, str], statements: Counting
) -> None:
    query = (
        "{ spares(limit: 500) { items { serial part { name substitutes { partNumber } } "
        "warehouse { code } movements(limit: 5) { action } } } }"
    )
    with statements() as few:
        answer = gql(query, admin)
    assert len(answer["data"]["spares"]["items"]) == 4
    with db.transaction() as session:
        for n in range(60):
            factories.spare(
                session,
                f"BULK-{n}",
                part_number=("PSU-750W", "PSU-1100W", "HDD-1T")[n % 3],
                warehouse_code=("WH-SY", "WH-DL")[n % 2],
            )
    with statements() as many:
        answer = gql(query, admin)
    assert len(answer["data"]["spares"]["items"]) == 64
    assert 0 < many.count == few.count


def test_page_and_nested_limits_are_capped(gql: GQL, admin: dict[str, str]) -> None:
    answer = gql("{ spares(limit: 501) { items { id } } }", admin)
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert answer["data"] is None


@pytest.mark.usefixtures("depot")
def test_nested_list_limit_is_capped(gql: GQL, admin: dict[str, str]) -> None:
    answer = gql("{ spares { items { movements(limit: 501) { id } } } }", admin)
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    capped = gql("{ spares { items { movements(limit: 1) { id } } } }", admin)
    assert all(len(u["movements"]) == 1 for u in capped["data"]["spares"]["items"])


def test_an_id_that_is_not_a_number_is_a_validation_error(gql: GQL, admin: dict[str, str]) -> None:
    answer = gql('{ spare(id: "x1") { id } }', admin)
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"


def test_the_warehouse_records_a_units_firmware_through_graphql(
    db: Database, client: TestClient, gql: GQL, headers_for: TokenFactory
) -> None:
    with db.transaction() as session:
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY")
        unit = factories.spare(session, "FW-1")
    mutation = (
        "mutation ($id: ID!, $fw: String) { updateSpare(id: $id, firmwareVersion: $fw) "
        "{ id serial firmwareVersion } }"
    )
    refused = gql(mutation, headers_for("engineer"), id=str(unit.id), fw="V2")
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"
    warehouse = headers_for("warehouse")
    done = gql(mutation, warehouse, id=str(unit.id), fw="V2")["data"]["updateSpare"]
    assert done["firmwareVersion"] == "V2"
    rest = client.get(f"/api/v1/spares/{unit.id}", headers=warehouse).json()
    assert rest["firmware_version"] == "V2"
    read = gql(f'{{ spare(id: "{unit.id}") {{ id serial firmwareVersion }} }}', warehouse)
    assert read["data"]["spare"] == done
    too_long = gql(mutation, warehouse, id=str(unit.id), fw="x" * 101)
    assert too_long["errors"][0]["extensions"]["code"] == "validation_error"
