"""`GET /devices?serial=` (the field app's lookup): on PostgreSQL it runs on the async driver,
on the event loop; it answers exactly what the service's sync lookup answers, scope included,
and its connections close with the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from inventory_service.assets import devices
from inventory_service.platform import auth
from inventory_service.platform.db import Database
from tests import factories

DEVICES = "/api/v1/devices"


@pytest.fixture
def network(committed_db: Database) -> Database:
    """Two customers' routers (a component each) on committed rows: the async driver reads
    through its own connections, which see no uncommitted test transaction."""
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.site(session, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147)
        factories.part(session, "PSU-750W")
        factories.device(session, "R-LNXX", components=[("PSU1", "PSU-750W", "C-LNXX")])
        factories.device(
            session, "R-GRID", site_code="DL-01", components=[("PSU1", "PSU-750W", "C-GRID")]
        )
    return committed_db


def _headers(db: Database, role: str, customer: str | None = None) -> dict[str, str]:
    with db.transaction() as session:
        issued = auth.create_token(session, role=role, customer_code=customer)
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def client(network: Database) -> Iterator[TestClient]:
    with TestClient(create_app(database=network), raise_server_exceptions=False) as test_client:
        yield test_client


def _sync_answer(db: Database, caller: auth.Caller, serial: str) -> list[object]:
    with db.session() as session:
        found = devices.find_by_serial(session, actor=caller, serial=serial)
    return [view.device.model_dump(mode="json") for view in found]


@pytest.mark.parametrize("serial", ["R-LNXX", "C-LNXX", "R-GRID", "C-GRID", "NOPE"])
@pytest.mark.parametrize(("role", "customer"), [("dispatcher", None), ("customer", "LNXX")])
def test_the_lookup_answers_as_the_sync_service_does(
    network: Database, client: TestClient, serial: str, role: str, customer: str | None
) -> None:
    headers = _headers(network, role, customer)
    answer = client.get(DEVICES, params={"serial": serial}, headers=headers)
    assert answer.status_code == 200
    with network.session() as session:
        caller = auth.authenticate(session, headers["Authorization"].split()[1])
    assert answer.json() == {
        "items": _sync_answer(network, caller, serial),
        "next_cursor": None,
    }
    seen = [d["serial"] for d in answer.json()["items"]]
    if customer == "LNXX" and "GRID" in serial:
        assert seen == []  # another customer's device does not exist for it
    elif serial != "NOPE":
        assert seen == [serial.replace("C-", "R-")]


def test_it_runs_on_the_async_driver_where_it_can(network: Database, client: TestClient) -> None:
    client.get(DEVICES, params={"serial": "R-LNXX"}, headers=_headers(network, "admin"))
    assert network.reads_async is (network.dialect == "postgresql")
    # On PostgreSQL the app opened the async pool and closed it when it stopped (below).


def test_its_connections_close_with_the_app_and_a_new_app_reads_again(network: Database) -> None:
    headers = _headers(network, "admin")
    for _ in range(2):  # two event loops, one after the other, on one Database
        with TestClient(create_app(database=network)) as test_client:
            answer = test_client.get(DEVICES, params={"serial": "C-GRID"}, headers=headers)
            assert [d["serial"] for d in answer.json()["items"]] == ["R-GRID"]
        assert network._async_engine is None


def test_a_serial_with_other_filters_or_a_cursor_takes_the_general_list(
    network: Database, client: TestClient
) -> None:
    headers = _headers(network, "admin")
    both = client.get(DEVICES, params={"serial": "R-LNXX", "site_code": "DL-01"}, headers=headers)
    assert both.status_code == 200
    assert both.json()["items"] == []
    assert devices.is_serial_lookup(devices.DeviceFilter(serial="X"), None)
    assert not devices.is_serial_lookup(devices.DeviceFilter(serial="X"), "abc")
    assert not devices.is_serial_lookup(devices.DeviceFilter(serial="X", model="M"), None)
