"""The real background expiry sweeper: it releases overdue holds on its own, survives any
exception (logged, retried with backoff) and stops with the app."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select, update

from api.app import create_app
from inventory_service import startup
from inventory_service.lifecycle import reservations
from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings
from models import Movement, Reservation, SpareUnit
from models.base import utcnow
from models.reservation import ReservationCreate
from tests import factories

SWEEP_EVERY = 0.05


def overdue_hold(db: Database) -> tuple[int, int]:
    """A committed reservation whose hold ran out a minute ago: (reservation id, unit id)."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        unit = factories.spare(session, "U1")
        held = reservations.reserve(
            session,
            actor=factories.ACTOR,
            data=ReservationCreate(
                site_code="SY-CORE", part_number="PSU-750W", ticket="T-1", engineer="王工"
            ),
        )
        session.exec(  # type: ignore[call-overload]
            update(Reservation).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert held.id is not None
    assert unit.id is not None
    return held.id, unit.id


def stored_state(db: Database, reservation_id: int, unit_id: int) -> tuple[str, str, list[str]]:
    """The reservation's and the unit's stored statuses (not the read view) and its ledger."""
    with db.transaction(write=False) as session:
        reservation = session.get(Reservation, reservation_id)
        unit = session.get(SpareUnit, unit_id)
        assert reservation is not None
        assert unit is not None
        actors = session.exec(select(Movement.actor).where(Movement.spare_id == unit_id)).all()
        return reservation.status, unit.status, list(actors)


def wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_the_background_sweeper_releases_an_overdue_hold(committed_db: Database) -> None:
    reservation_id, unit_id = overdue_hold(committed_db)
    assert stored_state(committed_db, reservation_id, unit_id)[:2] == ("active", "reserved")
    cfg = get_settings().model_copy(update={"expiry_sweep_seconds": SWEEP_EVERY})
    with TestClient(create_app(database=committed_db, cfg=cfg)):
        released = wait_for(
            lambda: (
                stored_state(committed_db, reservation_id, unit_id)[:2] == ("expired", "available")
            )
        )
    assert released
    assert "expiry-sweeper" in stored_state(committed_db, reservation_id, unit_id)[2]


def test_the_sweeper_survives_any_exception_and_backs_off(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reservation_id, unit_id = overdue_hold(committed_db)
    real = reservations.expire_due
    calls: list[float] = []

    def flaky(*args: object, **kwargs: object) -> int:
        calls.append(time.monotonic())
        if len(calls) <= 3:
            raise (KeyError, RuntimeError, ZeroDivisionError)[len(calls) - 1]("not a db error")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reservations, "expire_due", flaky)
    cfg = get_settings().model_copy(update={"expiry_sweep_seconds": SWEEP_EVERY})
    with (
        caplog.at_level(logging.WARNING, logger="inventory.startup"),
        TestClient(create_app(database=committed_db, cfg=cfg)),
    ):
        released = wait_for(
            lambda: (
                stored_state(committed_db, reservation_id, unit_id)[:2] == ("expired", "available")
            )
        )
    assert released
    failures = [r for r in caplog.records if r.msg.startswith("expiry sweep failed")]
    assert [r.__dict__["failures"] for r in failures] == [1, 2, 3]
    assert all(r.exc_info is not None for r in failures)
    gaps = [later - earlier for earlier, later in zip(calls, calls[1:4], strict=False)]
    # after the 1st, 2nd and 3rd failure: 2×, 4×, 8× the interval
    assert gaps[0] >= 2 * SWEEP_EVERY * 0.9
    assert gaps[2] >= 8 * SWEEP_EVERY * 0.9


def test_the_sweep_delay_doubles_and_is_capped() -> None:
    assert startup.sweep_delay(30, 0) == 30
    assert [startup.sweep_delay(30, n) for n in (1, 2, 3)] == [60, 120, 240]
    assert startup.sweep_delay(30, 50) == startup.MAX_SWEEP_BACKOFF_SECONDS
    assert startup.sweep_delay(900, 3) == 900  # never shorter than the interval
