"""A stateful property test of the whole spare-part lifecycle against the real database.

Random sequences of receive, reserve, cancel, dispatch, replace, repair and expire; after
every step the books must hold: each unit in exactly one known status, the counts by status
equal the ledger replay, no serial both installed in a device and on a shelf, and every
live reservation holds the unit it points at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import col, select, update

from inventory_service.lifecycle import repairs, replacements, reservations
from inventory_service.platform.db import Database
from inventory_service.platform.errors import DomainError
from inventory_service.warehouse import ledger
from models import (
    Component,
    Movement,
    RepairOrder,
    Reservation,
    ReservationStatus,
    SpareUnit,
    UnitStatus,
)
from models.base import utcnow
from models.reservation import (
    FaultLevel,
    RepairCreate,
    RepairOutcome,
    ReplacementCreate,
    ReservationCreate,
)
from tests import factories

ACTOR = factories.ACTOR


class Lifecycle(RuleBasedStateMachine):
    """The lifecycle's steps at random; `db` and `serials` are bound by `run_lifecycle`."""

    db: Database
    serials: Iterator[int]

    @rule()
    def receive(self) -> None:
        with self.db.transaction() as session:
            factories.spare(session, f"P{next(self.serials)}")

    @rule()
    def reserve(self) -> None:
        data = ReservationCreate(
            site_code="SY-CORE", part_number="PSU-750W", ticket="T", engineer="e"
        )
        try:
            with self.db.transaction() as session:
                reservations.reserve(session, actor=ACTOR, data=data)
        except DomainError:
            pass

    def _pick(self, *statuses: ReservationStatus) -> int | None:
        with self.db.transaction(write=False) as session:
            ids = session.exec(
                select(Reservation.id).where(
                    col(Reservation.status).in_([s.value for s in statuses])
                )
            ).all()
        return ids[-1] if ids else None

    @rule(dispatch=st.booleans())
    def dispatch_or_cancel(self, dispatch: bool) -> None:
        rid = self._pick(ReservationStatus.ACTIVE, ReservationStatus.DISPATCHED)
        if rid is None:
            return
        try:
            with self.db.transaction() as session:
                if dispatch:
                    reservations.dispatch(session, actor=ACTOR, reservation_id=rid)
                else:
                    reservations.cancel(session, actor=ACTOR, reservation_id=rid)
        except DomainError:
            pass

    @rule()
    def expire(self) -> None:
        rid = self._pick(ReservationStatus.ACTIVE)
        if rid is None:
            return
        with self.db.transaction() as session:
            session.exec(  # type: ignore[call-overload]
                update(Reservation)
                .where(col(Reservation.id) == rid)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            reservations.expire_due(session, actor=ACTOR)

    @rule()
    def replace(self) -> None:
        rid = self._pick(ReservationStatus.ACTIVE, ReservationStatus.DISPATCHED)
        if rid is None:
            return
        with self.db.transaction(write=False) as session:
            component = session.exec(select(Component).order_by(col(Component.id))).first()
        assert component is not None
        now = utcnow()
        data = ReplacementCreate(
            reservation_id=rid,
            device_id=component.device_id,
            removed_serial=component.serial,
            reason="PSU failed",
            fault_level=FaultLevel.MAJOR,
            fault_impact="none",
            fault_reported_at=now - timedelta(hours=2),
            replaced_at=now,
            customer_confirmed_by="客户",
            engineer_confirmed_by="工程师",
        )
        with self.db.transaction() as session:
            replacements.record(session, actor=ACTOR, data=data)

    @rule(repaired=st.booleans())
    def repair(self, repaired: bool) -> None:
        with self.db.transaction(write=False) as session:
            faulty = session.exec(
                select(SpareUnit.id).where(SpareUnit.status == UnitStatus.FAULTY.value)
            ).first()
            open_order = session.exec(
                select(RepairOrder.id).where(RepairOrder.status == "open")
            ).first()
        with self.db.transaction() as session:
            if faulty is not None:
                repairs.send(
                    session,
                    actor=ACTOR,
                    data=RepairCreate(spare_id=faulty, vendor="Dell", rma_number="RMA"),
                )
            elif open_order is not None:
                outcome = RepairOutcome.REPAIRED if repaired else RepairOutcome.SCRAPPED
                repairs.receive(session, actor=ACTOR, repair_id=open_order, outcome=outcome)

    @invariant()
    def books_balance(self) -> None:
        with self.db.transaction(write=False) as session:
            units = session.exec(select(SpareUnit)).all()
            assert {u.status for u in units} <= {s.value for s in UnitStatus}
            assert ledger.verify(session) == []
            last: dict[int, str] = {}
            for move in session.exec(select(Movement).order_by(col(Movement.id))).all():
                last[move.spare_id] = move.to_status
            assert Counter(last.values()) == Counter(u.status for u in units)
            installed = set(session.exec(select(Component.serial)).all())
            on_shelf = {
                u.serial
                for u in units
                if u.status in (UnitStatus.AVAILABLE.value, UnitStatus.RESERVED.value)
            }
            assert not installed & on_shelf
            by_id = {u.id: u for u in units}
            for r in session.exec(select(Reservation)).all():
                held = by_id[r.spare_id].status
                if r.status == ReservationStatus.ACTIVE.value:
                    assert held == UnitStatus.RESERVED.value
                elif r.status == ReservationStatus.DISPATCHED.value:
                    assert held == UnitStatus.DISPATCHED.value


def run_lifecycle(db: Database) -> None:
    bound = type("BoundLifecycle", (Lifecycle,), {"db": db, "serials": count()})
    run_state_machine_as_test(
        bound,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.fixture
def scene(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        factories.device(
            session, "SRV-1", site_code="SY-CORE", components=[("PSU1", "PSU-750W", "ORIG-PSU-1")]
        )
    return db


def test_the_books_balance_after_any_sequence_of_steps(scene: Database) -> None:
    run_lifecycle(scene)
