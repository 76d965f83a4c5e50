"""Reservations race availability readers: every answer's counts equal a recount of the units
in the same snapshot (real commits on separate connections, both databases)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from inventory_service.lifecycle import reservations
from inventory_service.platform.db import Database
from inventory_service.platform.errors import NoSpareAvailable
from inventory_service.reach import reachability
from models.reservation import ReservationCreate
from tests import factories

pytestmark = pytest.mark.concurrency

UNITS, FAKES, WRITERS, READERS, ROUNDS = 6, 2, 3, 3, 8

RECOUNT = text(
    "SELECT "
    "sum(CASE WHEN genuine AND status = 'available' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN genuine AND status <> 'available' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN NOT genuine THEN 1 ELSE 0 END) "
    "FROM spare_unit WHERE status NOT IN ('installed', 'scrapped') AND warehouse_id IS NOT NULL"
)


def _stock_up(db: Database) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-AS", lat=41.1, lon=122.99)
        factories.part(session, "PSU-750W")
        for i in range(UNITS):
            factories.spare(session, f"G{i}", warehouse_code="WH-SY" if i % 2 else "WH-AS")
        for i in range(FAKES):
            factories.spare(session, f"F{i}", genuine=False)


def _reserve_and_cancel(db: Database, writer: int) -> int:
    done = 0
    for i in range(ROUNDS):
        data = ReservationCreate(
            site_code="SY-CORE", part_number="PSU-750W", ticket=f"T-{writer}-{i}", engineer="e"
        )
        try:
            with db.transaction() as session:
                held = reservations.reserve(session, actor=factories.ACTOR, data=data)
        except NoSpareAvailable:
            continue
        if i % 2:
            with db.transaction() as session:
                reservations.cancel(session, actor=factories.ACTOR, reservation_id=held.id or 0)
        done += 1
    return done


def _read_and_recount(db: Database, stop: threading.Event) -> int:
    checked = 0
    while not stop.is_set() or checked == 0:
        with db.transaction(write=False) as session:
            if not db.is_sqlite:  # one snapshot for the answer and the recount
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            answer = reachability.availability(
                session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
            )
            available, held, fakes = session.execute(RECOUNT).one()
        assert answer.candidate_count == available
        assert answer.rejected_counts["not_available"] == held
        assert answer.rejected_counts["not_genuine"] == fakes == FAKES
        assert answer.candidate_count + sum(answer.rejected_counts.values()) == UNITS + FAKES
        checked += 1
    return checked


def test_every_answer_equals_a_recount_while_reservations_race(committed_db: Database) -> None:
    _stock_up(committed_db)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=WRITERS + READERS) as pool:
        readers = [pool.submit(_read_and_recount, committed_db, stop) for _ in range(READERS)]
        writers = [pool.submit(_reserve_and_cancel, committed_db, w) for w in range(WRITERS)]
        reserved = sum(w.result() for w in writers)
        stop.set()
        answers = sum(r.result() for r in readers)
    assert reserved > 0
    assert answers >= READERS
    # The last answer: the held units are exactly the active reservations.
    with committed_db.transaction(write=False) as session:
        final = reachability.availability(
            session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
        )
        active = session.execute(
            text("SELECT count(*) FROM reservation WHERE status = 'active'")
        ).scalar_one()
    assert final.rejected_counts["not_available"] == active
    assert final.candidate_count == UNITS - active
