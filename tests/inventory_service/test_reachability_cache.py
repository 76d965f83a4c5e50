"""The cached counts of availability never outlive a change of stock."""

from __future__ import annotations

from inventory_service.platform.db import Database
from inventory_service.reach import reachability
from inventory_service.warehouse import stock
from models import UnitStatus
from tests import factories


def test_every_ledger_row_refreshes_the_counts(db: Database) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        unit = factories.spare(session, "U1")

    def answer() -> tuple[int, dict[str, int]]:
        with db.transaction(write=False) as session:  # read sessions use the cache
            a = reachability.availability(
                session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
            )
        return a.candidate_count, a.rejected_counts

    assert answer()[0] == 1
    with db.transaction() as session:
        locked = stock.lock_unit(session, spare_id=unit.id or 0)
        stock.transition(session, locked, UnitStatus.RESERVED, actor=factories.ACTOR, action="r")
    count, rejected = answer()
    assert count == 0
    assert rejected["not_available"] == 1
    with db.transaction() as session:
        factories.spare(session, "U2")
    assert answer()[0] == 1
