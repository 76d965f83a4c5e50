"""Standby loans: same vendor and model, standby ⇄ on_loan with history, overdue listing."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import update

from inventory_service.platform.db import Database
from models import Loan
from models.base import utcnow
from tests import factories
from tests.conftest import TokenFactory


@pytest.fixture
def fleet(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.site(session, "FS-EDGE", lat=41.8808, lon=123.9572, city="Fushun")
        failed = factories.device(session, "NE-1", site_code="FS-EDGE", status="faulty")
        spare_box = factories.device(session, "NE-SB", site_code="SY-CORE", status="standby")
        other = factories.device(
            session, "S12-SB", site_code="SY-CORE", model="S12708", status="standby"
        )
        busy = factories.device(session, "NE-2", site_code="SY-CORE")
    ids = {"failed": failed.id, "standby": spare_box.id, "other": other.id, "busy": busy.id}
    return {k: v for k, v in ids.items() if v is not None}


def lend_body(fleet: dict[str, int], **extra: Any) -> dict[str, Any]:
    due = (utcnow() + timedelta(days=3)).isoformat()
    return {
        "standby_device_id": fleet["standby"],
        "site_code": "FS-EDGE",
        "replaces_device_id": fleet["failed"],
        "ticket": "INC-9",
        "due_at": due,
    } | extra


def test_lend_and_return_a_standby(
    client: TestClient, headers_for: TokenFactory, fleet: dict[str, int]
) -> None:
    dispatcher = headers_for("dispatcher", name="disp")
    lent = client.post("/api/v1/loans", json=lend_body(fleet), headers=dispatcher)
    assert lent.status_code == 201, lent.text
    loan = lent.json()
    assert (loan["status"], loan["site_code"], loan["overdue"]) == ("out", "FS-EDGE", False)
    device = client.get(f"/api/v1/devices/{fleet['standby']}", headers=dispatcher).json()
    assert device["status"] == "on_loan"
    twice = client.post("/api/v1/loans", json=lend_body(fleet), headers=dispatcher)
    assert twice.status_code == 409  # it is on loan already
    back = client.post(f"/api/v1/loans/{loan['id']}/return", headers=dispatcher)
    assert back.json()["status"] == "returned"
    device = client.get(f"/api/v1/devices/{fleet['standby']}", headers=dispatcher).json()
    assert device["status"] == "standby"
    history = client.get(f"/api/v1/devices/{fleet['standby']}/history", headers=dispatcher)
    assert [h["action"] for h in history.json()["items"]][-2:] == ["lent", "loan_returned"]
    again = client.post(f"/api/v1/loans/{loan['id']}/return", headers=dispatcher)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"


def test_only_a_standby_of_the_same_vendor_and_model(
    client: TestClient, headers_for: TokenFactory, fleet: dict[str, int]
) -> None:
    dispatcher = headers_for("dispatcher")
    other_model = client.post(
        "/api/v1/loans",
        json=lend_body(fleet, standby_device_id=fleet["other"]),
        headers=dispatcher,
    )
    assert other_model.status_code == 409
    not_standby = client.post(
        "/api/v1/loans",
        json=lend_body(fleet, standby_device_id=fleet["busy"]),
        headers=dispatcher,
    )
    assert not_standby.status_code == 409
    assert not_standby.json()["error"]["code"] == "illegal_transition"
    for extra, field in (
        ({"site_code": "NOPE"}, "site_code"),
        ({"replaces_device_id": 999999}, "replaces_device_id"),
        ({"due_at": "2001-01-01T00:00:00Z"}, "due_at"),
    ):
        bad = client.post("/api/v1/loans", json=lend_body(fleet, **extra), headers=dispatcher)
        assert bad.status_code == 422, extra
        assert bad.json()["error"]["details"][0]["field"] == field
    assert client.get("/api/v1/loans", headers=dispatcher).json()["items"] == []
    engineer = headers_for("engineer")
    assert client.post("/api/v1/loans", json=lend_body(fleet), headers=engineer).status_code == 403


def test_overdue_loans_are_listed(
    client: TestClient, headers_for: TokenFactory, fleet: dict[str, int], db: Database
) -> None:
    dispatcher = headers_for("dispatcher")
    loan = client.post("/api/v1/loans", json=lend_body(fleet), headers=dispatcher).json()
    assert (
        client.get("/api/v1/loans", params={"overdue": True}, headers=dispatcher).json()["items"]
        == []
    )
    with db.transaction() as session:
        session.exec(  # type: ignore[call-overload]
            update(Loan).values(due_at=utcnow() - timedelta(hours=1))
        )
    overdue = client.get("/api/v1/loans", params={"overdue": True}, headers=dispatcher).json()
    assert [(x["id"], x["overdue"]) for x in overdue["items"]] == [(loan["id"], True)]


def test_the_replaced_device_must_stand_at_the_loans_site(
    client: TestClient, headers_for: TokenFactory, fleet: dict[str, int]
) -> None:
    dispatcher = headers_for("dispatcher")
    elsewhere = client.post(
        "/api/v1/loans", json=lend_body(fleet, site_code="SY-CORE"), headers=dispatcher
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["error"]["details"][0]["field"] == "site_code"
    device = client.get(f"/api/v1/devices/{fleet['standby']}", headers=dispatcher).json()
    assert (device["status"], device["site_code"]) == ("standby", "SY-CORE")
    assert client.get("/api/v1/loans", headers=dispatcher).json()["items"] == []


def test_a_lent_standby_stands_at_the_loans_site_and_comes_home(
    client: TestClient, headers_for: TokenFactory, fleet: dict[str, int], db: Database
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNGRID")
        factories.site(session, "GRID-01", customer_code="LNGRID", lat=41.0, lon=123.0)
    dispatcher = headers_for("dispatcher")
    customer = headers_for("customer", customer="LNXX")
    other = headers_for("customer", customer="LNGRID")
    standby = f"/api/v1/devices/{fleet['standby']}"
    loan = client.post("/api/v1/loans", json=lend_body(fleet), headers=dispatcher).json()
    device = client.get(standby, headers=dispatcher).json()
    assert (device["status"], device["site_code"]) == ("on_loan", "FS-EDGE")
    history = client.get(f"{standby}/history", headers=dispatcher).json()["items"]
    assert (history[-1]["before"], history[-1]["after"]) == (
        {"status": "standby", "site_code": "SY-CORE"},
        {"status": "on_loan", "site_code": "FS-EDGE"},
    )
    # The customer of the site sees the standby standing there and reads the loan...
    assert client.get(standby, headers=customer).json()["site_code"] == "FS-EDGE"
    mine = client.get("/api/v1/loans", headers=customer).json()["items"]
    assert mine == [client.get(f"/api/v1/loans/{loan['id']}", headers=dispatcher).json()]
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=customer).json() == mine[0]
    # ...but never writes; another customer sees neither the loan nor the standby.
    assert client.post("/api/v1/loans", json=lend_body(fleet), headers=customer).status_code == 403
    back = f"/api/v1/loans/{loan['id']}/return"
    assert client.post(back, headers=customer).status_code == 403
    assert client.get("/api/v1/loans", headers=other).json()["items"] == []
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=other).status_code == 404
    assert client.get(standby, headers=other).status_code == 404

    assert client.post(back, headers=dispatcher).status_code == 200
    device = client.get(standby, headers=dispatcher).json()
    assert (device["status"], device["site_code"]) == ("standby", "SY-CORE")
    history = client.get(f"{standby}/history", headers=dispatcher).json()["items"]
    assert history[-1]["after"] == {"status": "standby", "site_code": "SY-CORE"}


def test_a_loan_answers_as_its_get_in_utc(
    client: TestClient, headers_for: TokenFactory, fleet: dict[str, int]
) -> None:
    dispatcher = headers_for("dispatcher")
    due = (utcnow() + timedelta(days=3)).astimezone(timezone(timedelta(hours=8)))
    created = client.post(
        "/api/v1/loans", json=lend_body(fleet, due_at=due.isoformat()), headers=dispatcher
    )
    assert created.status_code == 201, created.text
    assert (
        created.json()
        == client.get(f"/api/v1/loans/{created.json()['id']}", headers=dispatcher).json()
    )
    assert created.json()["due_at"].endswith("Z")
    naive = client.post(
        "/api/v1/loans",
        json=lend_body(fleet, due_at=due.replace(tzinfo=None).isoformat()),
        headers=dispatcher,
    )
    assert naive.status_code == 422
    assert naive.json()["error"]["details"][0]["field"].endswith("due_at")
