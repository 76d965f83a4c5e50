"""Receiving, the unit state machine and its ledger rows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from inventory_service.platform.db import Database
from inventory_service.platform.errors import DuplicateSerial, InvalidTransition, ValidationFailed
from inventory_service.warehouse import stock
from models import Movement, SpareUnit, UnitStatus
from tests import factories


@pytest.fixture
def stocked(db: Database) -> Database:
    with db.transaction() as session:
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY")
    return db


def movements(db: Database, spare_id: int) -> list[Movement]:
    with db.transaction(write=False) as session:
        return list(
            session.exec(
                select(Movement).where(Movement.spare_id == spare_id).order_by(col(Movement.id))
            ).all()
        )


def test_a_genuine_unit_with_full_provenance_is_available(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "S1")
    assert unit.status == "available"
    assert unit.id is not None
    [row] = movements(stocked, unit.id)
    assert (row.action, row.from_status, row.to_status) == ("received", None, "available")


@pytest.mark.parametrize(
    "provenance",
    [
        {"supplier": "X", "channel": "Y", "document": ""},
        {"supplier": "", "channel": "Y", "document": "D"},
        {"supplier": "X", "channel": " ", "document": "D"},
        {},
    ],
)
def test_a_genuine_unit_without_complete_provenance_is_quarantined(
    stocked: Database, provenance: dict[str, str]
) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "S1", provenance=provenance)
    assert unit.status == "quarantined"


def test_a_non_genuine_unit_is_received_and_flagged(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "FAKE-1", genuine=False, provenance={})
    assert (unit.status, unit.genuine) == ("available", False)


def test_bad_receipts_are_refused_and_write_nothing(stocked: Database) -> None:
    with stocked.transaction() as session:
        factories.spare(session, "S1")
    for kwargs, error in (
        ({"serial": "S1"}, DuplicateSerial),
        ({"serial": "S2", "part_number": "NOPE"}, ValidationFailed),
        ({"serial": "S3", "warehouse_code": "NOPE"}, ValidationFailed),
    ):
        with stocked.transaction() as session, pytest.raises(error):
            factories.spare(session, **kwargs)  # type: ignore[arg-type]
    with stocked.transaction(write=False) as session:
        assert len(session.exec(select(SpareUnit)).all()) == 1
        assert len(session.exec(select(Movement)).all()) == 1


@given(path=st.lists(st.sampled_from(list(UnitStatus)), max_size=12))
def test_transition_follows_the_table_and_writes_one_row_per_step(path: list[UnitStatus]) -> None:
    unit = SpareUnit(id=1, part_id=1, serial="S", genuine=True, condition="new", status="available")

    class Recorder:
        def __init__(self) -> None:
            self.added: list[object] = []

        def add(self, obj: object) -> None:
            self.added.append(obj)

        def flush(self) -> None:
            pass

    session = Recorder()
    rows = 0
    for to in path:
        current = UnitStatus(unit.status)
        if to in stock.ALLOWED[current]:
            stock.transition(session, unit, to, actor=factories.ACTOR, action="t")  # type: ignore[arg-type]
            rows += 1
            assert unit.status == to.value
        else:
            with pytest.raises(InvalidTransition, match=current.value):
                stock.transition(session, unit, to, actor=factories.ACTOR, action="t")  # type: ignore[arg-type]
            assert unit.status == current.value
    assert sum(isinstance(o, Movement) for o in session.added) == rows


def test_register_removed_tracks_stocked_units_and_new_originals(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "S1")
        assert unit.id is not None
        for to in (UnitStatus.RESERVED, UnitStatus.DISPATCHED, UnitStatus.INSTALLED):
            stock.transition(session, unit, to, actor=factories.ACTOR, action=to.value)
        back = stock.register_removed(
            session,
            actor=factories.ACTOR,
            part_id=unit.part_id,
            serial="S1",
            warehouse_id=unit.warehouse_id or 0,
            genuine=True,
            reference="R-1",
        )
        assert back.id == unit.id
        assert back.status == "faulty"
        original = stock.register_removed(
            session,
            actor=factories.ACTOR,
            part_id=unit.part_id,
            serial="ORIG-9",
            warehouse_id=unit.warehouse_id or 0,
            genuine=True,
            reference="R-2",
        )
        assert (original.status, original.genuine) == ("faulty", True)
    assert [m.to_status for m in movements(stocked, unit.id)] == [
        "available",
        "reserved",
        "dispatched",
        "installed",
        "faulty",
    ]
