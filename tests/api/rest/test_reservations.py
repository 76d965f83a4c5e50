"""Reservations over HTTP: picking, idempotency, dispatch, cancel, expiry, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select, update

from inventory_service.platform.db import Database
from models import Movement, Reservation, SpareUnit
from models.base import utcnow
from tests import factories
from tests.conftest import TokenFactory

URL = "/api/v1/reservations"


@pytest.fixture
def stocked(db: Database) -> Database:
    """A Shenyang site, the central warehouse at the hub, a PSU with three units."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.site(session, "BEIJING", lat=39.9042, lon=116.4074, city="Beijing")
        factories.warehouse(session, "WH-SY", handling_minutes=15)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        for serial in ("U1", "U2"):
            factories.spare(session, serial, part_number="PSU-750W")
        factories.spare(session, "BIG-1", part_number="PSU-1100W")
    return db


def body(**extra: object) -> dict[str, object]:
    return {
        "site_code": "SY-CORE",
        "part_number": "PSU-750W",
        "ticket": "T-1",
        "engineer": "王工",
    } | extra


@pytest.fixture
def engineer(headers_for: TokenFactory) -> dict[str, str]:
    return headers_for("engineer", name="eng-wang")


def post(client: TestClient, headers: dict[str, str], key: str, **extra: object) -> object:
    return client.post(URL, json=body(**extra), headers=headers | {"Idempotency-Key": key})


@pytest.mark.usefixtures("stocked")
def test_reserve_picks_the_best_unit_and_answers_as_get(
    client: TestClient, engineer: dict[str, str], db: Database
) -> None:
    created = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.text
    r = created.json()
    assert (r["status"], r["serial"], r["part_number"], r["warehouse_code"]) == (
        "active",
        "U1",
        "PSU-750W",
        "WH-SY",
    )
    assert r["eta_minutes"] == 15 + 30
    assert r["substitute"] is False
    assert client.get(f"{URL}/{r['id']}", headers=engineer).json() == r
    with db.transaction(write=False) as session:
        unit = session.get(SpareUnit, r["spare_id"])
        assert unit is not None
        assert unit.status == "reserved"
        last = session.exec(
            select(Movement)
            .where(Movement.spare_id == r["spare_id"])
            .order_by(col(Movement.id).desc())
        ).first()
        assert last is not None
        assert (last.action, last.to_status, last.actor) == ("reserved", "reserved", "eng-wang")


@pytest.mark.usefixtures("stocked")
def test_the_idempotency_key_is_required_and_replays(
    client: TestClient, engineer: dict[str, str]
) -> None:
    missing = client.post(URL, json=body(), headers=engineer)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    first = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "same"})
    again = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "same"})
    assert again.status_code == 201
    # The same body to the byte: PostgreSQL's JSONB must not reorder the stored answer's keys.
    assert again.text == first.text
    other = client.post(
        URL, json=body(ticket="T-2"), headers=engineer | {"Idempotency-Key": "same"}
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    listed = client.get(URL, headers=engineer).json()["items"]
    assert len(listed) == 1


@pytest.mark.usefixtures("stocked")
def test_units_run_out_then_substitutes_then_409(
    client: TestClient, engineer: dict[str, str]
) -> None:
    serials = [
        client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": f"k{i}"}).json()
        for i in range(3)
    ]
    assert [(r["serial"], r["substitute"]) for r in serials] == [
        ("U1", False),
        ("U2", False),
        ("BIG-1", True),
    ]
    none = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "k4"})
    assert none.status_code == 409
    assert none.json()["error"]["code"] == "no_spare_available"


@pytest.mark.usefixtures("stocked")
def test_require_within_deadline(client: TestClient, engineer: dict[str, str]) -> None:
    far = client.post(
        URL, json=body(site_code="BEIJING"), headers=engineer | {"Idempotency-Key": "a"}
    )
    assert far.status_code == 409
    assert far.json()["error"]["code"] == "no_spare_available"


@pytest.mark.usefixtures("stocked")
def test_a_given_spare_id_must_qualify(
    client: TestClient, engineer: dict[str, str], db: Database
) -> None:
    with db.transaction(write=False) as session:
        big = session.exec(select(SpareUnit).where(SpareUnit.serial == "BIG-1")).one()
    chosen = client.post(
        URL, json=body(spare_id=big.id), headers=engineer | {"Idempotency-Key": "a"}
    )
    assert chosen.status_code == 201
    assert (chosen.json()["serial"], chosen.json()["substitute"]) == ("BIG-1", True)
    taken = client.post(
        URL, json=body(spare_id=big.id), headers=engineer | {"Idempotency-Key": "b"}
    )
    assert taken.status_code == 409


@pytest.mark.usefixtures("stocked")
def test_bad_input_is_422_and_reserves_nothing(
    client: TestClient, engineer: dict[str, str], db: Database
) -> None:
    for i, (extra, field) in enumerate(
        [
            ({"site_code": "NOPE"}, "site_code"),
            ({"part_number": "NOPE"}, "part_number"),
            ({"ticket": 42}, "ticket"),
            ({"device_id": 999999}, "device_id"),
        ]
    ):
        response = client.post(
            URL, json=body(**extra), headers=engineer | {"Idempotency-Key": f"x{i}"}
        )
        assert response.status_code == 422, extra
        assert field in [d["field"] for d in response.json()["error"]["details"]]
    with db.transaction(write=False) as session:
        assert session.exec(select(Reservation)).all() == []
        statuses = {u.status for u in session.exec(select(SpareUnit)).all()}
    assert statuses == {"available"}


@pytest.mark.usefixtures("stocked")
def test_dispatch_cancel_and_illegal_transitions(
    client: TestClient, engineer: dict[str, str], headers_for: TokenFactory, db: Database
) -> None:
    warehouse = headers_for("warehouse")
    r = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "a"}).json()
    assert client.post(f"{URL}/{r['id']}/dispatch", headers=engineer).status_code == 403
    dispatched = client.post(f"{URL}/{r['id']}/dispatch", headers=warehouse)
    assert dispatched.json()["status"] == "dispatched"
    again = client.post(f"{URL}/{r['id']}/dispatch", headers=warehouse)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    assert "dispatched" in again.json()["error"]["message"]
    cancelled = client.post(f"{URL}/{r['id']}/cancel", headers=engineer)
    assert cancelled.json()["status"] == "cancelled"
    with db.transaction(write=False) as session:
        unit = session.get(SpareUnit, r["spare_id"])
        assert unit is not None
        assert unit.status == "available"  # a dispatched unit comes back to stock
    assert client.post(f"{URL}/{r['id']}/cancel", headers=engineer).status_code == 409


@pytest.mark.usefixtures("stocked")
def test_an_overdue_hold_reads_expired_and_its_unit_is_reserved_again(
    client: TestClient, engineer: dict[str, str], db: Database, headers_for: TokenFactory
) -> None:
    r = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "a"}).json()
    with db.transaction() as session:
        session.exec(  # type: ignore[call-overload]
            update(Reservation).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert client.get(f"{URL}/{r['id']}", headers=engineer).json()["status"] == "expired"
    expired = client.get(URL, params={"status": "expired"}, headers=engineer).json()["items"]
    assert [x["id"] for x in expired] == [r["id"]]
    late = client.post(f"{URL}/{r['id']}/dispatch", headers=headers_for("warehouse"))
    assert late.status_code == 409
    second = client.post(URL, json=body(ticket="T-9"), headers=engineer | {"Idempotency-Key": "b"})
    assert second.json()["serial"] == "U1"  # the expired hold released it


@pytest.mark.usefixtures("stocked")
def test_customers_never_see_reservations(
    client: TestClient, engineer: dict[str, str], headers_for: TokenFactory
) -> None:
    r = client.post(URL, json=body(), headers=engineer | {"Idempotency-Key": "a"}).json()
    customer = headers_for("customer", customer="LNXX")
    assert client.get(URL, headers=customer).status_code == 403
    assert client.get(f"{URL}/{r['id']}", headers=customer).status_code == 403
    refused = client.post(URL, json=body(), headers=customer | {"Idempotency-Key": "c"})
    assert refused.status_code == 403


def test_a_reservation_for_a_device_must_fit_it(
    client: TestClient, engineer: dict[str, str], db: Database
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.site(session, "SY-EDGE", lat=41.80, lon=123.40)
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "HDD-1.2T", category="server_hdd", specs={"capacity_gb": 1200})
        factories.part(session, "HPE-800W", vendor="HPE", specs={"watts": 800, "input": "AC"})
        for serial, part in (("U1", "PSU-750W"), ("B1", "PSU-1100W"), ("D1", "HDD-1.2T")):
            factories.spare(session, serial, part_number=part)
        factories.spare(session, "H1", part_number="HPE-800W")
        device = factories.installed_part(
            session, site_code="SY-CORE", part_number="PSU-750W", serial="C1"
        ).device_id

    def reserve(key: str, **extra: object) -> object:
        return client.post(
            URL, json=body(device_id=device, **extra), headers=engineer | {"Idempotency-Key": key}
        )

    refusals = [
        (reserve("k1", site_code="SY-EDGE"), "site_code"),  # the device stands elsewhere
        (reserve("k2", part_number="HDD-1.2T"), "part_number"),  # a disk for a PSU slot
        (reserve("k3", part_number="HPE-800W"), "part_number"),  # another vendor's PSU
    ]
    for response, field in refusals:
        assert response.status_code == 422, response.text  # type: ignore[attr-defined]
        details = response.json()["error"]["details"]  # type: ignore[attr-defined]
        assert [d["field"] for d in details] == [field]
    with db.transaction(write=False) as session:
        assert session.exec(select(Reservation)).all() == []
    exact = reserve("k4")
    assert exact.status_code == 201, exact.text  # type: ignore[attr-defined]
    bigger = reserve("k5", part_number="PSU-1100W")  # a substitute for the installed part
    assert bigger.status_code == 201, bigger.text  # type: ignore[attr-defined]
    assert bigger.json()["serial"] == "B1"  # type: ignore[attr-defined]


@pytest.mark.usefixtures("stocked")
def test_another_vendors_unit_is_never_reserved_unless_approved(
    client: TestClient, engineer: dict[str, str], admin: dict[str, str], db: Database
) -> None:
    with db.transaction() as session:
        factories.part(session, "HPE-1600W", vendor="HPE", specs={"watts": 1600, "input": "AC"})
        hpe = factories.spare(session, "HPE-1", part_number="HPE-1600W")
    given = post(client, engineer, "a", spare_id=hpe.id)
    assert given.status_code == 409  # type: ignore[attr-defined]
    assert given.json()["error"]["code"] == "no_spare_available"  # type: ignore[attr-defined]
    approval = {"part_number": "HPE-1600W", "document": "Dell notice 17"}
    added = client.post("/api/v1/parts/PSU-750W/alternates", json=approval, headers=admin)
    assert added.status_code == 201
    approved = post(client, engineer, "b", spare_id=hpe.id)
    assert approved.status_code == 201, approved.text  # type: ignore[attr-defined]
    assert approved.json()["substitute"] is True  # type: ignore[attr-defined]
