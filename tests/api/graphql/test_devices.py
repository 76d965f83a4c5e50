"""Devices through GraphQL: parity with REST, relations at a constant number of statements,
customer scope, nested limits and the depth limit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory_service.assets import devices
from inventory_service.platform.db import Database
from tests import factories
from tests.api.graphql.conftest import GQL, fields_of, normalise
from tests.conftest import Statements, TokenFactory

API = "/api/v1"
Counting = Callable[[], AbstractContextManager[Statements]]
BOARD = (
    "query ($limit: Int!) { devices(limit: $limit) { items { serial status "
    "site { code city customerCode } components { slot serial part { name category } } } "
    "nextCursor } }"
)


@pytest.fixture
def estate(db: Database) -> Database:
    """Two customers with a site each; devices with components; one patched (history)."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.site(session, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "HDD-1T", category="server_hdd", specs={"tb": 1})
        factories.device(
            session,
            "DEV-1",
            components=[("PSU1", "PSU-750W", "C-1"), ("HDD1", "HDD-1T", "C-2")],
        )
        factories.device(session, "DEV-2", components=[("PSU1", "PSU-750W", "C-3")])
        factories.device(
            session, "DEV-3", site_code="DL-01", components=[("HDD1", "HDD-1T", "C-4")]
        )
    return db


def rest(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    answer = client.get(f"{API}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def device_id(client: TestClient, admin: dict[str, str], serial: str) -> int:
    found: int = rest(client, f"/devices?serial={serial}", admin)["items"][0]["id"]
    return found


@pytest.mark.usefixtures("estate")
def test_devices_match_rest(client: TestClient, gql: GQL, admin: dict[str, str]) -> None:
    page = rest(client, "/devices?limit=2", admin)
    fields = fields_of(page["items"][0])
    answer = gql(f"{{ devices(limit: 2) {{ items {{ {fields} }} nextCursor }} }}", admin)
    assert "errors" not in answer, answer
    assert normalise(answer["data"]["devices"]) == normalise(page)
    assert page["next_cursor"] is not None
    rest_next = rest(client, f"/devices?limit=2&cursor={page['next_cursor']}", admin)
    gql_next = gql(
        f'{{ devices(limit: 2, cursor: "{page["next_cursor"]}") {{ items {{ {fields} }} }} }}',
        admin,
    )
    assert normalise(gql_next["data"]["devices"]["items"]) == normalise(rest_next["items"])

    one = rest(client, f"/devices/{page['items'][0]['id']}", admin)
    answer = gql(f'{{ device(id: "{one["id"]}") {{ {fields} }} }}', admin)
    assert normalise(answer["data"]["device"]) == normalise(one)


@pytest.mark.usefixtures("estate")
def test_device_filters_and_history_match_rest(
    client: TestClient, gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    by_component = gql('{ devices(serial: "C-3") { items { serial } } }', admin)
    assert by_component["data"]["devices"]["items"] == [{"serial": "DEV-2"}]
    at_site = gql('{ devices(siteCode: "DL-01", status: IN_SERVICE) { items { serial } } }', admin)
    assert at_site["data"]["devices"]["items"] == [{"serial": "DEV-3"}]

    dev = device_id(client, admin, "DEV-1")
    patched = client.patch(
        f"{API}/devices/{dev}", json={"patch_level": "SPC600"}, headers=headers_for("engineer")
    )
    assert patched.status_code == 200, patched.text
    history = rest(client, f"/devices/{dev}/history", admin)["items"]
    answer = gql(f'{{ device(id: "{dev}") {{ history {{ {fields_of(history[0])} }} }} }}', admin)
    assert normalise(answer["data"]["device"]["history"]) == normalise(history)
    assert [h["action"] for h in answer["data"]["device"]["history"]][-1] == history[-1]["action"]


@pytest.mark.usefixtures("estate")
def test_relations_of_a_device(client: TestClient, gql: GQL, admin: dict[str, str]) -> None:
    dev = device_id(client, admin, "DEV-1")
    answer = gql(
        f'{{ device(id: "{dev}") {{ site {{ code devices {{ serial }} }} '
        "components { slot part { partNumber substitutes { partNumber } } } } }",
        admin,
    )
    got = answer["data"]["device"]
    assert got["site"] == {"code": "SY-01", "devices": [{"serial": "DEV-1"}, {"serial": "DEV-2"}]}
    assert [(c["slot"], c["part"]["partNumber"]) for c in got["components"]] == [
        ("HDD1", "HDD-1T"),
        ("PSU1", "PSU-750W"),
    ]
    one = gql('{ site(code: "SY-01") { devices(limit: 1) { serial } } }', admin)
    assert one["data"]["site"]["devices"] == [{"serial": "DEV-1"}]


@pytest.mark.usefixtures("estate")
def test_a_customer_sees_only_its_own_devices(
    client: TestClient, gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    own = headers_for("customer", customer="LNXX")
    listed = gql("{ devices { items { serial } } sites { items { devices { serial } } } }", own)
    assert listed["data"]["devices"]["items"] == [{"serial": "DEV-1"}, {"serial": "DEV-2"}]
    assert listed["data"]["sites"]["items"] == [
        {"devices": [{"serial": "DEV-1"}, {"serial": "DEV-2"}]}
    ]
    other = device_id(client, admin, "DEV-3")
    hidden = gql(f'{{ device(id: "{other}") {{ serial site {{ code }} }} }}', own)
    assert hidden == {"data": {"device": None}}
    by_serial = gql('{ devices(serial: "DEV-3") { items { serial } } }', own)
    assert by_serial["data"]["devices"]["items"] == []
    history = gql(
        f'{{ device(id: "{device_id(client, admin, "DEV-1")}") {{ history {{ actor }} }} }}', own
    )
    assert {h["actor"] for h in history["data"]["device"]["history"]} == {"contractor"}


@pytest.mark.usefixtures("estate")
def test_ten_and_four_hundred_devices_cost_the_same_statements(
    db: Database, gql: GQL, admin: dict[str, str], statements: Counting
) -> None:
    with db.transaction() as session:
        factories.site(session, "AS-01", customer_code="LNGRID", lat=41.1, lon=122.99)
        for n in range(7):
            factories.device(session, f"SMALL-{n}", site_code="AS-01")
    # The first answer of a document teaches the compiled path; both counted answers take it
    # (tests/api/graphql/test_compiled.py holds the general execution to the same property).
    gql(BOARD, admin, limit=1)
    with statements() as few:
        answer = gql(BOARD, admin, limit=10)
    assert len(answer["data"]["devices"]["items"]) == 10
    with db.transaction() as session:
        for n in range(393):
            factories.device(
                session,
                f"BULK-{n}",
                site_code=("SY-01", "DL-01", "AS-01")[n % 3],
                components=[("PSU1", "PSU-750W", f"BP-{n}"), ("HDD1", "HDD-1T", f"BH-{n}")],
            )
    with statements() as many:
        # 400 boards: 500 would cost 500 × (device + site + 50 × (component + part)) = 51,000,
        # over the default cost limit
        answer = gql(BOARD, admin, limit=400)
    items = answer["data"]["devices"]["items"]
    assert len(items) == 400
    assert items[-1]["components"][0]["part"] == {"name": "HDD-1T", "category": "server_hdd"}
    assert 0 < many.count == few.count


@pytest.mark.usefixtures("estate")
def test_site_devices_limit_is_capped(gql: GQL, admin: dict[str, str]) -> None:
    answer = gql('{ site(code: "SY-01") { devices(limit: 501) { serial } } }', admin)
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    history = gql("{ devices { items { history(limit: 0) { id } } } }", admin)
    assert history["errors"][0]["extensions"]["code"] == "validation_error"


def test_an_eleven_level_device_query_is_rejected_before_any_resolver(
    gql: GQL, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(devices, "get", lambda *a, **k: calls.append(a))
    path = ["site", "devices"] * 4 + ["site"]  # with device and code: 11 levels
    deep = '{ device(id: "1") { ' + " { ".join(path) + " { code" + " }" * (len(path) + 2)
    answer = gql(deep, admin)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert "depth" in answer["errors"][0]["message"]
    assert calls == []
