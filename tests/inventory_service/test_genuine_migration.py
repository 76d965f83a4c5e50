"""Migration `genuine01` (approved alternates, a spare unit's firmware): follows `perf01`,
and reverts and re-applies on a database holding both."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from inventory_service.platform import migrate
from inventory_service.platform.db import Database
from inventory_service.warehouse import catalogue, stock
from models.part import AlternateCreate
from tests import factories


def _shape(db: Database) -> tuple[bool, set[str]]:
    with db.transaction(write=False) as session:
        found = inspect(session.connection())
        units = {c["name"] for c in found.get_columns("spare_unit")}
        return "part_alternate" in found.get_table_names(), units


def test_genuine01_is_the_head_after_perf01() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert scripts.get_heads() == ["genuine01"]
    assert scripts.get_revision("genuine01").down_revision == "perf01"


def test_genuine01_reverts_and_reapplies(committed_db: Database) -> None:
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        factories.part(session, "HPE-800W", vendor="HPE", specs={"watts": 800, "input": "AC"})
        unit = factories.spare(session, "U1")
        stock.set_firmware(
            session, actor=factories.ACTOR, spare_id=unit.id or 0, firmware_version="V2"
        )
        catalogue.add_alternate(
            session,
            actor=factories.ACTOR,
            part_number="PSU-750W",
            data=AlternateCreate(part_number="HPE-800W", document="notice"),
        )
    has_table, columns = _shape(committed_db)
    assert has_table
    assert "firmware_version" in columns
    config = migrate.alembic_config(committed_db.url)
    try:
        command.downgrade(config, "perf01")
        has_table, columns = _shape(committed_db)
        assert not has_table
        assert "firmware_version" not in columns
        with committed_db.transaction(write=False) as session:
            serials = session.execute(text("SELECT serial FROM spare_unit")).scalars().all()
        assert serials == ["U1"]  # the units themselves stay
    finally:
        command.upgrade(config, "head")
    has_table, columns = _shape(committed_db)
    assert has_table
    assert "firmware_version" in columns
    with committed_db.transaction(write=False) as session:
        fw = session.execute(text("SELECT firmware_version FROM spare_unit")).scalars().all()
    assert fw == [None]  # what the downgrade dropped is not invented back
