"""The warehouse's rules at the service layer: scope, stocktake, and the ledger replay and
its append-only guarantee."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.warehouse import ledger, stock, stocktakes
from models import Movement, Role, SpareUnit, UnitStatus
from models.spare import StocktakeCreate, StocktakeLine
from tests import factories


@pytest.fixture
def stocked(db: Database) -> Database:
    with db.transaction() as session:
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-750W-DC", specs={"watts": 750, "input": "DC"})
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL", kind="depot")
    return db


def customer_caller(session: Session, code: str) -> Caller:
    found = factories.places.get_customer(session, actor=factories.ACTOR, code=code)
    return Caller(
        token_id=0, name=code, role=Role.CUSTOMER, customer_id=found.id, customer_code=code
    )


def test_a_customer_sees_parts_installed_at_its_sites_and_their_substitutes(
    stocked: Database,
) -> None:
    with stocked.transaction() as session:
        factories.customer(session, "LNA")
        factories.site(session, "SY-A", customer_code="LNA")
        factories.installed_part(session, site_code="SY-A", part_number="PSU-750W", serial="C1")
        lna = customer_caller(session, "LNA")
        visible = stock.visible_part_ids(session, lna)
        names = {
            p.part_number
            for p in session.exec(
                select(factories.Part).where(col(factories.Part.id).in_(visible or set()))
            )
        }
        assert stock.visible_part_ids(session, factories.ACTOR) is None
    # A DC supply has another text spec: it may not replace the AC one.
    assert names == {"PSU-750W", "PSU-1100W"}


def test_ledger_replay_finds_a_unit_changed_behind_the_ledger(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "S1")
        other = factories.spare(session, "S2")
        stock.transfer(
            session, actor=factories.ACTOR, spare_id=other.id or 0, warehouse_code="WH-DL"
        )
        assert ledger.verify(session) == []
        session.exec(
            text("UPDATE spare_unit SET status = 'reserved' WHERE id = :id").bindparams(id=unit.id)
        )  # type: ignore[call-overload]
        [problem] = ledger.verify(session)
        assert (problem.spare_id, problem.serial) == (unit.id, "S1")
        assert "reserved" in problem.reason
        # Put it back, so that the fixture's own replay check passes.
        session.exec(
            text("UPDATE spare_unit SET status = 'available' WHERE id = :id").bindparams(id=unit.id)
        )  # type: ignore[call-overload]
        assert ledger.verify(session) == []


def test_ledger_replay_finds_a_broken_chain_and_a_unit_without_rows(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "S1")
        assert unit.id is not None
        session.add(
            Movement(
                spare_id=unit.id,
                action="bogus",
                from_status="faulty",
                to_status="available",
                from_warehouse_id=unit.warehouse_id,
                to_warehouse_id=unit.warehouse_id,
                actor="x",
            )
        )
        orphan = SpareUnit(
            part_id=unit.part_id,
            serial="NO-ROWS",
            genuine=True,
            condition="new",
            status="available",
        )
        session.add(orphan)
        session.flush()
        problems = ledger.verify(session)
        assert [
            (p.serial, "faulty" in p.reason or "no ledger rows" in p.reason) for p in problems
        ] == [
            ("S1", True),
            ("NO-ROWS", True),
        ]
        session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE movement SET action = 'x'", "DELETE FROM movement"])
def test_postgresql_refuses_to_change_the_ledger(
    stocked: Database, backend: str, statement: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite relies on the code)")
    with stocked.transaction() as session:
        factories.spare(session, "S1")
    with pytest.raises(DBAPIError, match="append-only"), stocked.transaction() as session:
        session.exec(text(statement))  # type: ignore[call-overload]
    with stocked.transaction(write=False) as session:
        assert [m.action for m in session.exec(select(Movement)).all()] == ["received"]


SERIALS = [f"U{i}" for i in range(8)]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    placement=st.lists(
        st.sampled_from(["SY", "DL", "SY-scrapped", "none"]), min_size=8, max_size=8
    ),
    counted=st.lists(st.sampled_from([*SERIALS, "GHOST"]), max_size=12),
)
def test_stocktake_sorts_every_counted_serial_once_and_changes_no_unit(
    stocked: Database, placement: list[str], counted: list[str]
) -> None:
    with stocked.transaction() as session:
        for serial, where in zip(SERIALS, placement, strict=True):
            if where == "none":
                continue
            unit = factories.spare(
                session, serial, warehouse_code="WH-DL" if where == "DL" else "WH-SY"
            )
            if where == "SY-scrapped":
                stock.scrap(session, actor=factories.ACTOR, spare_id=unit.id or 0, reason=None)
        before = [u.model_dump() for u in session.exec(select(SpareUnit)).all()]
        record = stocktakes.take(
            session,
            actor=factories.ACTOR,
            warehouse_code="WH-SY",
            data=StocktakeCreate(counted=[StocktakeLine(serial=s) for s in counted]),
        )
        result = stocktakes.read(record, "WH-SY").result
        assert [u.model_dump() for u in session.exec(select(SpareUnit)).all()] == before
        session.rollback()
    distinct = set(counted)
    here = {s for s, w in zip(SERIALS, placement, strict=True) if w == "SY"}
    assert result.counted == len(distinct)
    assert result.matched == len(distinct & here)
    assert {m.serial for m in result.missing} == here - distinct
    assert {u.serial for u in result.unexpected} == (
        distinct - {s for s, w in zip(SERIALS, placement, strict=True) if w != "none"}
    )
    assert {m.serial for m in result.misplaced} == {
        s for s, w in zip(SERIALS, placement, strict=True) if w in ("DL", "SY-scrapped")
    } & distinct
    assert all(m.status in (UnitStatus.AVAILABLE, UnitStatus.SCRAPPED) for m in result.misplaced)
