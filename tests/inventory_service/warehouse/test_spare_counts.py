"""`spare_count`: kept by every unit change in its own transaction, read by availability."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from inventory_service.platform import migrate
from inventory_service.platform.db import Database
from inventory_service.reach import reachability
from inventory_service.warehouse import counts, stock
from models import UnitStatus
from tests import factories


def _counts(db: Database) -> dict[tuple[str, str, str, bool], int]:
    with db.transaction(write=False) as session:
        rows = session.execute(
            text(
                "SELECT p.part_number, w.code, c.status, c.genuine, c.units FROM spare_count c "
                "JOIN part p ON p.id = c.part_id JOIN warehouse w ON w.id = c.warehouse_id "
                "WHERE c.units <> 0"
            )
        ).all()
    return {(pn, wh, status, bool(genuine)): n for pn, wh, status, genuine, n in rows}


@pytest.fixture
def stocked(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL")
        factories.part(session, "PSU-750W")
    return db


def test_every_unit_change_moves_its_count(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "U1")
        factories.spare(session, "U2", genuine=False)
        factories.spare(session, "U3", provenance={})  # genuine, no provenance: quarantined
    assert _counts(stocked) == {
        ("PSU-750W", "WH-SY", "available", True): 1,
        ("PSU-750W", "WH-SY", "available", False): 1,
        ("PSU-750W", "WH-SY", "quarantined", True): 1,
    }
    with stocked.transaction() as session:
        stock.transfer(
            session, actor=factories.ACTOR, spare_id=unit.id or 0, warehouse_code="WH-DL"
        )
        locked = stock.lock_unit(session, spare_id=unit.id or 0)
        stock.transition(session, locked, UnitStatus.RESERVED, actor=factories.ACTOR, action="r")
    assert _counts(stocked) == {
        ("PSU-750W", "WH-DL", "reserved", True): 1,
        ("PSU-750W", "WH-SY", "available", False): 1,
        ("PSU-750W", "WH-SY", "quarantined", True): 1,
    }


def test_a_rolled_back_change_leaves_the_counts_alone(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "U1")
    before = _counts(stocked)

    def failing_request() -> None:
        with stocked.transaction() as session:
            stock.scrap(session, actor=factories.ACTOR, spare_id=unit.id or 0, reason="broken")
            factories.spare(session, "U2")
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        failing_request()
    assert _counts(stocked) == before
    # Nothing of the failed transaction leaks into the next one on the same database.
    with stocked.transaction() as session:
        factories.spare(session, "U3")
    assert _counts(stocked) == {("PSU-750W", "WH-SY", "available", True): 2}


def test_a_writing_session_reads_its_own_count_changes(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "U1")
        answer = reachability.availability(
            session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
        )
        assert answer.candidate_count == 1
        locked = stock.lock_unit(session, spare_id=unit.id or 0)
        stock.transition(session, locked, UnitStatus.RESERVED, actor=factories.ACTOR, action="r")
        again = reachability.availability(
            session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
        )
        assert (again.candidate_count, again.rejected_counts["not_available"]) == (0, 1)


def test_availability_reads_the_counts_at_once_after_each_change(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "U1")

    def answer() -> tuple[int, dict[str, int]]:
        with stocked.transaction(write=False) as session:
            a = reachability.availability(
                session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
            )
        return a.candidate_count, a.rejected_counts

    assert answer()[0] == 1
    with stocked.transaction() as session:
        locked = stock.lock_unit(session, spare_id=unit.id or 0)
        stock.transition(session, locked, UnitStatus.RESERVED, actor=factories.ACTOR, action="r")
    count, rejected = answer()
    assert count == 0
    assert rejected["not_available"] == 1
    with stocked.transaction() as session:
        factories.spare(session, "U2")
    assert answer()[0] == 1


def test_verify_counts_names_a_count_that_differs_from_the_units(stocked: Database) -> None:
    with stocked.transaction() as session:
        unit = factories.spare(session, "U1")
        assert counts.verify(session) == []
        session.execute(text("UPDATE spare_count SET units = units + 2"))
        [problem] = counts.verify(session)
        assert (problem.part_id, problem.status, problem.genuine) == (
            unit.part_id,
            "available",
            True,
        )
        assert (problem.counted, problem.units) == (3, 1)
        # A unit changed behind the ledger also shows up as two wrong counts.
        session.execute(text("UPDATE spare_count SET units = units - 2"))
        session.execute(
            text("UPDATE spare_unit SET status = 'faulty' WHERE id = :id"), {"id": unit.id}
        )
        assert {(p.status, p.counted, p.units) for p in counts.verify(session)} == {
            ("available", 1, 0),
            ("faulty", 0, 1),
        }
        session.rollback()


def test_the_migration_backfills_the_counts_and_reverts(committed_db: Database) -> None:
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL")
        factories.part(session, "PSU-750W")
        moved = factories.spare(session, "U1")
        factories.spare(session, "U2")
        factories.spare(session, "U3", genuine=False)
        stock.transfer(
            session, actor=factories.ACTOR, spare_id=moved.id or 0, warehouse_code="WH-DL"
        )
    expected = _counts(committed_db)
    assert sum(expected.values()) == 3
    config = migrate.alembic_config(committed_db.url)
    try:
        command.downgrade(config, "sla01")
        with committed_db.transaction(write=False) as session:
            tables = inspect(session.connection()).get_table_names()
        assert "spare_count" not in tables
    finally:
        command.upgrade(config, "head")
    assert _counts(committed_db) == expected
    with committed_db.transaction(write=False) as session:
        assert counts.verify(session) == []
