"""Return-for-repair: faulty → at_repair → available (refurbished) or scrapped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from inventory_service.platform.db import Database
from models import SpareUnit
from tests import factories
from tests.conftest import TokenFactory


@pytest.fixture
def faulty(db: Database) -> int:
    with db.transaction() as session:
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY")
        unit = factories.faulty_unit(session, "BAD-1")
        factories.spare(session, "GOOD-1")
    assert unit.id is not None
    return unit.id


def test_repaired_units_come_back_available_and_refurbished(
    client: TestClient, headers_for: TokenFactory, faulty: int
) -> None:
    warehouse = headers_for("warehouse", name="wh-clerk")
    sent = client.post(
        "/api/v1/repairs",
        json={"spare_id": faulty, "vendor": "Dell", "rma_number": "RMA-77"},
        headers=warehouse,
    )
    assert sent.status_code == 201, sent.text
    order = sent.json()
    assert (order["status"], order["serial"]) == ("open", "BAD-1")
    assert client.get(f"/api/v1/repairs/{order['id']}", headers=warehouse).json() == order
    back = client.post(
        f"/api/v1/repairs/{order['id']}/receive", json={"outcome": "repaired"}, headers=warehouse
    )
    assert back.status_code == 200
    assert back.json()["status"] == "repaired"
    unit = client.get(f"/api/v1/spares/{faulty}", headers=warehouse).json()
    # Genuine still, and its provenance is now the repair: who repaired it, under which RMA.
    assert (unit["status"], unit["condition"], unit["genuine"]) == (
        "available",
        "refurbished",
        True,
    )
    assert unit["provenance"] == {"supplier": "Dell", "channel": "repair", "document": "RMA-77"}
    moves = client.get(f"/api/v1/spares/{faulty}/movements", headers=warehouse).json()["items"]
    assert [(m["action"], m["reference"]) for m in moves[-2:]] == [
        ("sent_to_repair", "RMA RMA-77"),
        ("repaired", "RMA RMA-77"),
    ]
    again = client.post(
        f"/api/v1/repairs/{order['id']}/receive", json={"outcome": "scrapped"}, headers=warehouse
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    assert "repaired" in again.json()["error"]["message"]
    listed = client.get("/api/v1/repairs", params={"rma_number": "RMA-77"}, headers=warehouse)
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]


def test_scrapped_and_refusals(
    client: TestClient, headers_for: TokenFactory, faulty: int, db: Database
) -> None:
    warehouse = headers_for("warehouse")
    body = {"spare_id": faulty, "vendor": "Dell", "rma_number": "RMA-1"}
    engineer = headers_for("engineer")
    assert client.post("/api/v1/repairs", json=body, headers=engineer).status_code == 403
    order = client.post("/api/v1/repairs", json=body, headers=warehouse).json()
    twice = client.post("/api/v1/repairs", json=body, headers=warehouse)
    assert twice.status_code == 409  # at_repair already
    scrapped = client.post(
        f"/api/v1/repairs/{order['id']}/receive", json={"outcome": "scrapped"}, headers=warehouse
    )
    assert scrapped.json()["status"] == "scrapped"
    open_ = client.post(
        f"/api/v1/repairs/{order['id']}/receive", json={"outcome": "open"}, headers=warehouse
    )
    assert open_.status_code == 422
    unknown = client.post("/api/v1/repairs", json=body | {"spare_id": 999999}, headers=warehouse)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "spare_id"
    with db.transaction(write=False) as session:
        good = session.exec(select(SpareUnit).where(SpareUnit.serial == "GOOD-1")).one()
    not_faulty = client.post(
        "/api/v1/repairs", json=body | {"spare_id": good.id}, headers=warehouse
    )
    assert not_faulty.status_code == 409
    assert not_faulty.json()["error"]["code"] == "illegal_transition"
