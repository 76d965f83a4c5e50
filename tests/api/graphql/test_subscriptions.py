"""`spareChanged` over graphql-transport-ws: committed movements reach the subscriber."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from inventory_service.platform import events
from inventory_service.platform.db import Database
from tests import factories
from tests.conftest import IN_CI, TokenFactory

API = "/api/v1"
PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = (
    "subscription ($pn: String!) { spareChanged(partNumber: $pn) "
    "{ spareId partNumber serial action fromStatus toStatus toWarehouseCode } }"
)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Events on a Redis of their own channel prefix (so parallel workers do not mix)."""
    url = os.environ.get("INVENTORY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"CI must run the subscription tests: no Redis at {url}")
        pytest.skip(f"no Redis at {url} (set INVENTORY_TEST_REDIS_URL)")
    previous = events.configure(url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    yield url
    events.configure(previous)


@pytest.fixture
def depot(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "HDD-1T", category="server_hdd", specs={"tb": 1})
        factories.warehouse(session, "WH-SY")
        factories.installed_part(
            session, site_code="SY-01", part_number="PSU-750W", serial="INST-1"
        )
    return db


def receive(client: TestClient, headers: dict[str, str], serial: str, pn: str) -> dict[str, Any]:
    answer = client.post(
        f"{API}/spares",
        json={
            "part_number": pn,
            "serial": serial,
            "warehouse_code": "WH-SY",
            "genuine": True,
            "provenance": {"supplier": "Dell", "channel": "authorised", "document": "PO-1"},
            "condition": "new",
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def subscribe(ws: WebSocketTestSession, part_number: str, init: dict[str, Any]) -> None:
    ws.send_json({"type": "connection_init", "payload": init})
    assert ws.receive_json()["type"] == "connection_ack"
    ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": SUBSCRIBE, "variables": {"pn": part_number}},
        }
    )
    wait_for_subscriber(events.channel(part_number))


def wait_for_subscriber(channel: str) -> None:
    assert events._publisher is not None
    client = events._publisher.client
    deadline = time.monotonic() + 10
    while dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) < 1:
        assert time.monotonic() < deadline, "the subscription never reached Redis"
        time.sleep(0.02)


@pytest.mark.usefixtures("redis_url", "depot")
def test_a_unit_received_over_rest_reaches_the_subscriber(
    client: TestClient, headers_for: TokenFactory
) -> None:
    board = headers_for("dispatcher")
    keeper = headers_for("warehouse")
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers=board) as ws:
        subscribe(ws, "PSU-750W", {})
        receive(client, keeper, "HDD-NOT-WATCHED", "HDD-1T")
        unit = receive(client, keeper, "PSU-NEW", "PSU-750W")
        message = ws.receive_json()
    assert message["type"] == "next"
    assert message["payload"]["data"]["spareChanged"] == {
        "spareId": str(unit["id"]),
        "partNumber": "PSU-750W",
        "serial": "PSU-NEW",
        "action": "received",
        "fromStatus": None,
        "toStatus": "available",
        "toWarehouseCode": "WH-SY",
    }


@pytest.mark.usefixtures("redis_url", "depot")
def test_a_rejected_request_publishes_nothing(
    client: TestClient, headers_for: TokenFactory
) -> None:
    keeper = headers_for("warehouse")
    token = headers_for("dispatcher")["Authorization"]
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
        subscribe(ws, "PSU-750W", {"Authorization": token})
        receive(client, keeper, "PSU-1", "PSU-750W")
        duplicate = client.post(
            f"{API}/spares",
            json={
                "part_number": "PSU-750W",
                "serial": "PSU-1",
                "warehouse_code": "WH-SY",
                "genuine": True,
                "provenance": {"supplier": "Dell", "channel": "authorised", "document": "PO-1"},
                "condition": "new",
            },
            headers=keeper,
        )
        assert duplicate.status_code == 409
        receive(client, keeper, "PSU-2", "PSU-750W")
        serials = [ws.receive_json()["payload"]["data"]["spareChanged"]["serial"] for _ in "ab"]
    assert serials == ["PSU-1", "PSU-2"]


@pytest.mark.usefixtures("redis_url", "depot")
def test_a_customer_may_watch_only_parts_it_may_see(
    client: TestClient, headers_for: TokenFactory
) -> None:
    own = headers_for("customer", customer="LNXX")
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers=own) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"pn": "HDD-1T"}},
            }
        )
        message = ws.receive_json()
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "not_found"


@pytest.mark.usefixtures("redis_url")
def test_a_websocket_without_a_valid_token_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
        closed = ws.receive()
    assert closed["type"] == "websocket.close"
    assert closed["code"] == 4403


@pytest.mark.usefixtures("redis_url", "depot")
def test_a_reservation_made_through_graphql_on_another_replica_reaches_the_subscriber(
    db: Database, client: TestClient, headers_for: TokenFactory
) -> None:
    from api.app import create_app

    board = headers_for("dispatcher")
    receive(client, headers_for("warehouse"), "PSU-R", "PSU-750W")
    with (
        TestClient(create_app(database=db)) as other_replica,
        client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers=board) as ws,
    ):
        subscribe(ws, "PSU-750W", {})
        reserved = other_replica.post(
            "/graphql",
            json={
                "query": 'mutation { reserve(idempotencyKey: "k-1", input: {siteCode: "SY-01", '
                'partNumber: "PSU-750W", ticket: "T-1", engineer: "王工"}) { serial status } }'
            },
            headers=board,
        )
        assert reserved.json()["data"], reserved.text
        assert reserved.json()["data"]["reserve"]["serial"] == "PSU-R"
        change = ws.receive_json()["payload"]["data"]["spareChanged"]
    assert (change["serial"], change["fromStatus"], change["toStatus"]) == (
        "PSU-R",
        "available",
        "reserved",
    )
