"""Real HTTP, real threads, real commits: racing engineers never share a unit."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx
import pytest
from sqlmodel import func, select

from inventory_service.platform.db import Database
from inventory_service.warehouse import ledger
from models import Movement, Reservation, SpareUnit
from tests import factories
from tests.conftest import LiveServer

pytestmark = pytest.mark.concurrency


def stock_up(db: Database, units: int) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY", handling_minutes=15)
        factories.part(session, "PSU-750W")
        for i in range(units):
            factories.spare(session, f"U{i:03d}")


def reserve(url: str, headers: dict[str, str], key: str, ticket: str) -> httpx.Response:
    body = {
        "site_code": "SY-CORE",
        "part_number": "PSU-750W",
        "ticket": ticket,
        "engineer": "racer",
    }
    return httpx.post(
        f"{url}/api/v1/reservations",
        json=body,
        headers=headers | {"Idempotency-Key": key},
        timeout=60,
    )


def test_fifty_engineers_race_for_five_units(live_server: LiveServer) -> None:
    stock_up(live_server.database, 5)
    headers = live_server.headers_for("engineer", name="racer")
    start = Barrier(50)

    def one(i: int) -> httpx.Response:
        start.wait()
        return reserve(live_server.url, headers, f"race-{i}", f"T-{i}")

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(one, range(50)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 5, 409: 45}, statuses
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "no_spare_available"
    }
    won = [a.json()["spare_id"] for a in answers if a.status_code == 201]
    assert len(set(won)) == 5
    with live_server.database.transaction(write=False) as session:
        assert session.exec(select(func.count()).select_from(Reservation)).one() == 5
        reserved = session.exec(
            select(func.count()).select_from(SpareUnit).where(SpareUnit.status == "reserved")
        ).one()
        assert reserved == 5
        moves = session.exec(
            select(func.count()).select_from(Movement).where(Movement.action == "reserved")
        ).one()
        assert moves == 5
        assert ledger.verify(session) == []


def test_ten_retries_of_one_key_make_one_reservation(live_server: LiveServer) -> None:
    stock_up(live_server.database, 3)
    headers = live_server.headers_for("engineer", name="flaky-network")
    start = Barrier(10)

    def one(_: int) -> httpx.Response:
        start.wait()
        return reserve(live_server.url, headers, "one-key", "T-1")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(one, range(10)))
    created = [a for a in answers if a.status_code == 201]
    in_progress = [a for a in answers if a.status_code == 409]
    assert len(created) + len(in_progress) == 10
    assert created, "at least the first request completes"
    assert all(a.json()["error"]["code"] == "idempotency_in_progress" for a in in_progress)
    assert len({a.text for a in created}) == 1
    later = reserve(live_server.url, headers, "one-key", "T-1")
    assert later.status_code == 201
    assert later.json() == created[0].json()
    with live_server.database.transaction(write=False) as session:
        assert session.exec(select(func.count()).select_from(Reservation)).one() == 1
    different = reserve(live_server.url, headers, "one-key", "T-2")
    assert different.status_code == 422
    assert different.json()["error"]["code"] == "idempotency_key_reused"
