"""The device register over HTTP: create, find by serial, PATCH with If-Match, the status
machine, components, history, scope and roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.conftest import TokenFactory

DEVICES = "/api/v1/devices"


@pytest.fixture
def register_db(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.site(session, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147)
        factories.part(session, "PAC-2200WF", category="router_psu", vendor="Huawei")
        factories.part(session, "CR5D00E4XF90", category="router_mpu", vendor="Huawei")
    return db


def device_body(serial: str = "2102A0001", **extra: Any) -> dict[str, Any]:
    return {
        "site_code": "SY-01",
        "vendor": "Huawei",
        "model": "NE40E-X8",
        "hostname": "SY-CORE-PE01",
        "serial": serial,
        "firmware_version": "V800R021C10",
        "patch_level": "V800R021C10SPC600",
        "config": {"role": "PE", "mgmt_ip": "10.0.0.1"},
        "components": [
            {"slot": "PSU1", "part_number": "PAC-2200WF", "serial": f"{serial}-P1"},
            {"slot": "MPU0", "part_number": "CR5D00E4XF90", "serial": f"{serial}-M0"},
        ],
    } | extra


def create(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    response = client.post(DEVICES, json=device_body(**extra), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("register_db")
def test_a_created_device_answers_exactly_as_its_get(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = create(client, admin)
    assert body["site_code"] == "SY-01"
    assert body["customer_code"] == "LNXX"
    assert body["status"] == "in_service"
    assert {c["slot"]: c["part_number"] for c in body["components"]} == {
        "PSU1": "PAC-2200WF",
        "MPU0": "CR5D00E4XF90",
    }
    got = client.get(f"{DEVICES}/{body['id']}", headers=admin)
    assert got.json() == body
    assert got.headers["ETag"] == '"1"'


@pytest.mark.usefixtures("register_db")
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site_code": "NOPE"}, "site_code"),
        (
            {"components": [{"slot": "PSU1", "part_number": "NOPE", "serial": "X1"}]},
            "components.0.part_number",
        ),
        (
            {
                "components": [
                    {"slot": "PSU1", "part_number": "PAC-2200WF", "serial": "X1"},
                    {"slot": "PSU1", "part_number": "PAC-2200WF", "serial": "X2"},
                ]
            },
            "components.1.slot",
        ),
        ({"config": ["not", "an", "object"]}, "config"),
        ({"serial": 12345}, "serial"),
        ({"status": "broken"}, "status"),
    ],
)
def test_a_bad_device_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, admin: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = client.post(DEVICES, json=device_body() | change, headers=admin)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert client.get(DEVICES, headers=admin).json()["items"] == []


@pytest.mark.usefixtures("register_db")
def test_duplicate_device_or_installed_component_serial_is_409(
    client: TestClient, admin: dict[str, str]
) -> None:
    create(client, admin)
    again = client.post(DEVICES, json=device_body(hostname="other"), headers=admin)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_serial"
    assert again.json()["error"]["details"][0]["field"] == "serial"
    clash = device_body("2102A0002")
    clash["components"][1]["serial"] = "2102A0001-M0"
    response = client.post(DEVICES, json=clash, headers=admin)
    assert response.status_code == 409
    assert response.json()["error"]["details"][0]["field"] == "components.1.serial"
    assert len(client.get(DEVICES, headers=admin).json()["items"]) == 1


@pytest.mark.usefixtures("register_db")
def test_serial_finds_the_device_by_its_own_or_a_components_serial(
    client: TestClient, admin: dict[str, str]
) -> None:
    first = create(client, admin)
    create(client, admin, serial="2102A0002")
    for serial in ("2102A0001", "2102A0001-P1"):
        found = client.get(DEVICES, params={"serial": serial}, headers=admin).json()["items"]
        assert [d["id"] for d in found] == [first["id"]]
    assert client.get(DEVICES, params={"serial": "none"}, headers=admin).json()["items"] == []
    # A device whose serial is another device's component serial: both are found.
    third = create(client, admin, serial="2102A0002-M0", components=[])
    found = client.get(DEVICES, params={"serial": "2102A0002-M0"}, headers=admin).json()
    assert sorted(d["id"] for d in found["items"]) == sorted([first["id"] + 1, third["id"]])
    assert found["next_cursor"] is None
    narrowed = client.get(
        DEVICES, params={"serial": "2102A0002-M0", "site_code": "DL-01"}, headers=admin
    ).json()
    assert narrowed["items"] == []


@pytest.mark.usefixtures("register_db")
def test_filters_and_patch_level_below_in_version_order(
    client: TestClient, admin: dict[str, str]
) -> None:
    levels = {
        "A1": "V800R021C10SPC90",
        "A2": "V800R021C10SPC600",
        "A3": "V800R021C10SPC700",
        "A4": "V800R022C00",
        "A5": None,
    }
    for serial, level in levels.items():
        create(client, admin, serial=serial, patch_level=level, components=[])
    create(client, admin, serial="B1", model="ASR9006", vendor="Cisco", components=[])

    def serials(**params: Any) -> list[str]:
        body = client.get(DEVICES, params=params, headers=admin).json()
        return [d["serial"] for d in body["items"]]

    assert serials(patch_level_below="V800R021C10SPC700") == ["A1", "A2", "B1"]
    assert serials(patch_level_below="V800R021C10SPC700", model="NE40E-X8") == ["A1", "A2"]
    assert serials(vendor="Cisco") == ["B1"]
    assert serials(customer_code="LNGRID") == []
    assert serials(patch_level="V800R022C00") == ["A4"]
    page = client.get(
        DEVICES, params={"patch_level_below": "V900", "limit": 2}, headers=admin
    ).json()
    assert [d["serial"] for d in page["items"]] == ["A1", "A2"]
    rest = client.get(
        DEVICES,
        params={"patch_level_below": "V900", "limit": 2, "cursor": page["next_cursor"]},
        headers=admin,
    ).json()
    assert [d["serial"] for d in rest["items"]] == ["A3", "A4"]


@pytest.mark.usefixtures("register_db")
def test_patch_writes_one_history_row_of_the_changed_fields(
    client: TestClient, headers_for: TokenFactory
) -> None:
    admin = headers_for("admin", name="zhang.wei")
    engineer = headers_for("engineer", name="li.na")
    device = create(client, admin)
    url = f"{DEVICES}/{device['id']}"
    patched = client.patch(
        url,
        json={"patch_level": "V800R021C10SPC700", "hostname": "SY-CORE-PE01", "reference": "CR-7"},
        headers=engineer,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["patch_level"] == "V800R021C10SPC700"
    assert patched.headers["ETag"] == '"2"'
    history = client.get(f"{url}/history", headers=admin).json()["items"]
    assert [h["action"] for h in history] == ["created", "updated"]
    assert history[0]["actor"] == "zhang.wei"
    assert history[0]["after"]["serial"] == "2102A0001"
    assert history[1]["before"] == {"patch_level": "V800R021C10SPC600"}
    assert history[1]["after"] == {"patch_level": "V800R021C10SPC700"}
    assert (history[1]["actor"], history[1]["reference"]) == ("li.na", "CR-7")
    # A PATCH that changes nothing writes nothing.
    client.patch(url, json={"hostname": "SY-CORE-PE01"}, headers=engineer)
    assert len(client.get(f"{url}/history", headers=admin).json()["items"]) == 2


@pytest.mark.usefixtures("register_db")
def test_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    device = create(client, admin)
    url = f"{DEVICES}/{device['id']}"
    tag = client.get(url, headers=admin).headers["ETag"]
    first = client.patch(url, json={"firmware_version": "V1"}, headers=admin | {"If-Match": tag})
    assert first.status_code == 200
    stale = client.patch(url, json={"firmware_version": "V2"}, headers=admin | {"If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert client.get(url, headers=admin).json()["firmware_version"] == "V1"
    without = client.patch(url, json={"firmware_version": "V3"}, headers=admin)
    assert without.status_code == 200


@pytest.mark.usefixtures("register_db")
@pytest.mark.parametrize(
    "body",
    [
        {"hostname": None},
        {"status": None},
        {"config": None},
        {"config": "text"},
        {"serial": "X"},
        {"firmware_version": 7},
    ],
)
def test_bad_patches_are_422(
    client: TestClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    device = create(client, admin)
    response = client.patch(f"{DEVICES}/{device['id']}", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == next(iter(body))


@pytest.mark.usefixtures("register_db")
def test_status_follows_the_state_machine_and_retired_is_final(
    client: TestClient, admin: dict[str, str]
) -> None:
    device = create(client, admin)
    url = f"{DEVICES}/{device['id']}"
    assert client.patch(url, json={"status": "faulty"}, headers=admin).status_code == 200
    illegal = client.patch(url, json={"status": "on_loan"}, headers=admin)
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "illegal_transition"
    assert "faulty" in illegal.json()["error"]["message"]
    assert client.patch(url, json={"status": "retired"}, headers=admin).status_code == 200
    back = client.patch(url, json={"status": "in_service"}, headers=admin)
    assert back.status_code == 409
    assert "retired" in back.json()["error"]["message"]
    history = client.get(f"{url}/history", headers=admin).json()["items"]
    assert [(h["action"], h["after"]) for h in history[1:]] == [
        ("status_changed", {"status": "faulty"}),
        ("status_changed", {"status": "retired"}),
    ]


@pytest.mark.usefixtures("register_db")
def test_components_installed_swapped_removed_each_leave_history(
    client: TestClient, admin: dict[str, str]
) -> None:
    device = create(client, admin)
    url = f"{DEVICES}/{device['id']}"
    installed = client.post(
        f"{url}/components",
        json={"slot": "PSU2", "part_number": "PAC-2200WF", "serial": "NEW-P2"},
        headers=admin,
    )
    assert installed.status_code == 201, installed.text
    occupied = client.post(
        f"{url}/components",
        json={"slot": "PSU2", "part_number": "PAC-2200WF", "serial": "NEW-P3"},
        headers=admin,
    )
    assert occupied.status_code == 409
    swapped = client.post(
        f"{url}/components/PSU1/swap",
        json={"part_number": "PAC-2200WF", "serial": "NEW-P1", "reference": "T-1"},
        headers=admin,
    )
    assert swapped.status_code == 200, swapped.text
    removed = client.delete(f"{url}/components/MPU0", headers=admin)
    assert removed.status_code == 200
    slots = {c["slot"]: c["serial"] for c in removed.json()["components"]}
    assert slots == {"PSU1": "NEW-P1", "PSU2": "NEW-P2"}
    # The removed serial is free again; the old PSU serial is no longer found.
    assert client.get(DEVICES, params={"serial": "2102A0001-P1"}, headers=admin).json() == {
        "items": [],
        "next_cursor": None,
    }
    history = client.get(f"{url}/history", headers=admin).json()["items"]
    assert [h["action"] for h in history] == [
        "created",
        "component_installed",
        "component_swapped",
        "component_removed",
    ]
    assert history[2]["before"]["serial"] == "2102A0001-P1"
    assert history[2]["after"]["serial"] == "NEW-P1"
    assert history[3]["before"]["slot"] == "MPU0"
    assert client.get(url, headers=admin).headers["ETag"] == '"4"'


@pytest.mark.usefixtures("register_db")
def test_a_customer_sees_only_its_devices_and_never_writes(
    client: TestClient, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    mine = create(client, admin)
    theirs = create(client, admin, serial="DL-1", site_code="DL-01", components=[])
    lnxx = headers_for("customer", customer="LNXX")
    listed = client.get(DEVICES, headers=lnxx).json()["items"]
    assert [d["id"] for d in listed] == [mine["id"]]
    assert client.get(f"{DEVICES}/{theirs['id']}", headers=lnxx).status_code == 404
    assert client.get(f"{DEVICES}/{theirs['id']}/history", headers=lnxx).status_code == 404
    assert client.get(DEVICES, params={"serial": "DL-1"}, headers=lnxx).json()["items"] == []
    history = client.get(f"{DEVICES}/{mine['id']}/history", headers=lnxx).json()["items"]
    assert history[0]["actor"] == "contractor"
    patch = client.patch(f"{DEVICES}/{mine['id']}", json={"hostname": "x"}, headers=lnxx)
    assert patch.status_code == 403


@pytest.mark.usefixtures("register_db")
@pytest.mark.parametrize(
    ("role", "create_status", "patch_status"),
    [
        ("dispatcher", 201, 200),
        ("engineer", 403, 200),
        ("warehouse", 403, 403),
        ("reporter", 403, 403),
    ],
)
def test_roles(
    client: TestClient,
    admin: dict[str, str],
    headers_for: TokenFactory,
    role: str,
    create_status: int,
    patch_status: int,
) -> None:
    device = create(client, admin)
    headers = headers_for(role)
    created = client.post(DEVICES, json=device_body("R-1", components=[]), headers=headers)
    assert created.status_code == create_status
    patched = client.patch(f"{DEVICES}/{device['id']}", json={"hostname": "h"}, headers=headers)
    assert patched.status_code == patch_status
    assert client.get(f"{DEVICES}/{device['id']}", headers=headers).status_code == 200


@pytest.mark.usefixtures("register_db")
def test_a_retried_create_with_the_same_key_answers_the_first_response(
    client: TestClient, admin: dict[str, str]
) -> None:
    headers = admin | {"Idempotency-Key": "dev-create-1"}
    first = client.post(DEVICES, json=device_body(), headers=headers)
    again = client.post(DEVICES, json=device_body(), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert len(client.get(DEVICES, headers=admin).json()["items"]) == 1
