"""Replacements over HTTP: two-party confirmation, times, the swap, the faulty unit, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from inventory_service.platform.db import Database
from models import SpareUnit
from tests import factories
from tests.conftest import TokenFactory


@pytest.fixture
def scene(db: Database) -> dict[str, Any]:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY", handling_minutes=15)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-500W", specs={"watts": 500, "input": "AC"})
        factories.spare(session, "NEW-1", part_number="PSU-750W")
        device = factories.device(
            session,
            "SRV-1",
            site_code="SY-CORE",
            vendor="Dell",
            model="R740",
            components=[("PSU1", "PSU-750W", "OLD-1"), ("PSU2", "PSU-500W", "OLD-2")],
        )
    return {"device_id": device.id}


def reserve(client: TestClient, headers: dict[str, str], **extra: object) -> dict[str, Any]:
    body = {
        "site_code": "SY-CORE",
        "part_number": "PSU-750W",
        "ticket": "INC-7",
        "engineer": "李工",
    } | extra
    response = client.post(
        "/api/v1/reservations", json=body, headers=headers | {"Idempotency-Key": str(extra)}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def replacement(reservation_id: int, device_id: int, **extra: object) -> dict[str, Any]:
    reported = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
    return {
        "reservation_id": reservation_id,
        "device_id": device_id,
        "removed_serial": "OLD-1",
        "reason": "电源模块故障",
        "fault_level": "major",
        "fault_impact": "单电源运行",
        "fault_reported_at": reported.isoformat(),
        "arrived_at": (reported + timedelta(minutes=50)).isoformat(),
        "replaced_at": (reported + timedelta(minutes=130, seconds=59)).isoformat(),
        "customer_confirmed_by": "客户张三",
        "engineer_confirmed_by": "工程师李四",
    } | extra


def test_a_replacement_swaps_the_slot_and_returns_the_old_part_faulty(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any], db: Database
) -> None:
    engineer = headers_for("engineer", name="li")
    r = reserve(client, engineer)
    done = client.post(
        "/api/v1/replacements", json=replacement(r["id"], scene["device_id"]), headers=engineer
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["duration_minutes"] == 130  # rounded down
    assert body["within_deadline"] is True
    assert (body["removed_serial"], body["installed_serial"]) == ("OLD-1", "NEW-1")
    assert client.get(f"/api/v1/replacements/{body['id']}", headers=engineer).json() == body
    device = client.get(f"/api/v1/devices/{scene['device_id']}", headers=engineer).json()
    slots = {c["slot"]: c["serial"] for c in device["components"]}
    assert slots == {"PSU1": "NEW-1", "PSU2": "OLD-2"}
    history = client.get(f"/api/v1/devices/{scene['device_id']}/history", headers=engineer)
    assert history.json()["items"][-1]["action"] == "component_swapped"
    assert (
        client.get(f"/api/v1/reservations/{r['id']}", headers=engineer).json()["status"]
        == "fulfilled"
    )
    with db.transaction(write=False) as session:
        units = {u.serial: u for u in session.exec(select(SpareUnit)).all()}
    assert units["NEW-1"].status == "installed"
    assert (units["OLD-1"].status, units["OLD-1"].genuine) == ("faulty", True)
    again = client.post(
        "/api/v1/replacements", json=replacement(r["id"], scene["device_id"]), headers=engineer
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"customer_confirmed_by": ""}, "customer_confirmed_by"),
        ({"engineer_confirmed_by": None}, "engineer_confirmed_by"),
        ({"arrived_at": "2026-10-31T01:00:00+00:00"}, "arrived_at"),
        ({"replaced_at": "2026-10-31T01:59:00+00:00"}, "replaced_at"),
        ({"replaced_at": "2099-01-01T00:00:00+00:00"}, "replaced_at"),
        ({"removed_serial": "NOT-THERE"}, "removed_serial"),
        ({"removed_serial": "OLD-2"}, "removed_serial"),  # 750 W may replace 500 W: accepted
        ({"fault_level": "apocalyptic"}, "fault_level"),
    ],
)
def test_bad_replacements_are_422_and_change_nothing(
    client: TestClient,
    headers_for: TokenFactory,
    scene: dict[str, Any],
    db: Database,
    extra: dict[str, object],
    field: str,
) -> None:
    engineer = headers_for("engineer")
    r = reserve(client, engineer)
    response = client.post(
        "/api/v1/replacements",
        json=replacement(r["id"], scene["device_id"], **extra),
        headers=engineer,
    )
    if extra.get("removed_serial") == "OLD-2":
        # A 750 W unit meets every spec of the 500 W part: a legal substitute.
        assert response.status_code == 201
        return
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert (
        client.get(f"/api/v1/reservations/{r['id']}", headers=engineer).json()["status"] == "active"
    )
    with db.transaction(write=False) as session:
        new = session.exec(select(SpareUnit).where(SpareUnit.serial == "NEW-1")).one()
    assert new.status == "reserved"


def test_a_lower_spec_part_may_not_replace(
    client: TestClient, headers_for: TokenFactory, db: Database, scene: dict[str, Any]
) -> None:
    engineer = headers_for("engineer")
    with db.transaction() as session:
        weak = factories.spare(session, "WEAK-1", part_number="PSU-500W")
    r = reserve(client, engineer, part_number="PSU-500W", spare_id=weak.id)
    response = client.post(
        "/api/v1/replacements", json=replacement(r["id"], scene["device_id"]), headers=engineer
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "removed_serial"


def test_a_cancelled_reservation_cannot_be_fulfilled_and_that_is_checked_first(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any]
) -> None:
    engineer = headers_for("engineer")
    r = reserve(client, engineer)
    client.post(f"/api/v1/reservations/{r['id']}/cancel", headers=engineer)
    bad_times = replacement(r["id"], scene["device_id"], replaced_at="2000-01-01T00:00:00Z")
    response = client.post("/api/v1/replacements", json=bad_times, headers=engineer)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"


def test_customers_see_only_replacements_on_their_devices(
    client: TestClient, headers_for: TokenFactory, scene: dict[str, Any]
) -> None:
    engineer = headers_for("engineer")
    r = reserve(client, engineer)
    done = client.post(
        "/api/v1/replacements", json=replacement(r["id"], scene["device_id"]), headers=engineer
    ).json()
    own = headers_for("customer", customer="LNXX")
    other = headers_for("customer", customer="LNGRID")
    assert [x["id"] for x in client.get("/api/v1/replacements", headers=own).json()["items"]] == [
        done["id"]
    ]
    assert client.get("/api/v1/replacements", headers=other).json()["items"] == []
    assert client.get(f"/api/v1/replacements/{done['id']}", headers=other).status_code == 404
    refused = client.post(
        "/api/v1/replacements", json=replacement(r["id"], scene["device_id"]), headers=own
    )
    assert refused.status_code == 403


def test_another_vendors_unit_may_not_replace_unless_an_approved_alternate(
    client: TestClient, headers_for: TokenFactory, db: Database, scene: dict[str, Any]
) -> None:
    engineer, admin = headers_for("engineer"), headers_for("admin")
    with db.transaction() as session:
        factories.part(session, "HPE-800W", vendor="HPE", specs={"watts": 800, "input": "AC"})
        hpe = factories.spare(session, "HPE-1", part_number="HPE-800W")
    r = reserve(client, engineer, part_number="HPE-800W", spare_id=hpe.id)
    body = replacement(r["id"], scene["device_id"])
    refused = client.post("/api/v1/replacements", json=body, headers=engineer)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "removed_serial"
    approval = {"part_number": "HPE-800W", "document": "Dell notice 2026-17"}
    added = client.post("/api/v1/parts/PSU-750W/alternates", json=approval, headers=admin)
    assert added.status_code == 201, added.text
    done = client.post("/api/v1/replacements", json=body, headers=engineer)
    assert done.status_code == 201, done.text
    assert done.json()["installed_serial"] == "HPE-1"
