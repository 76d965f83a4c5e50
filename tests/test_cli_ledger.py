"""`inventory-service verify-ledger` against a real database (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from inventory_service.cli import app
from inventory_service.platform.db import Database, set_database
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from tests import factories


@pytest.fixture
def cli(committed_db: Database) -> Iterator[CliRunner]:
    """A runner whose commands use the committed test database."""
    old_settings = replace_settings(
        Settings(**(get_settings().model_dump() | {"database_url": committed_db.url}))
    )
    old_db = set_database(committed_db)
    yield CliRunner()
    set_database(old_db)
    replace_settings(old_settings)


def test_verify_ledger_names_a_unit_changed_behind_the_ledger(
    cli: CliRunner, committed_db: Database
) -> None:
    with committed_db.transaction() as session:
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY")
        factories.spare(session, "GOOD-1")
        tampered = factories.spare(session, "TAMPERED-1")
    clean = cli.invoke(app, ["verify-ledger"])
    assert clean.exit_code == 0, clean.output
    assert "2 units, 2 movements: ok" in clean.stdout
    update = "UPDATE spare_unit SET status = :status WHERE id = :id"
    with committed_db.transaction() as session:
        session.connection().execute(text(update), {"status": "dispatched", "id": tampered.id})
    try:
        found = cli.invoke(app, ["verify-ledger"])
        assert found.exit_code == 1
        assert f"spare {tampered.id}\tTAMPERED-1" in found.stdout
        assert "dispatched" in found.stdout
        assert "GOOD-1" not in found.stdout
        assert "1 unit(s) do not replay" in found.stdout
    finally:
        # Restore, so that the fixture's own replay check passes afterwards.
        with committed_db.transaction() as session:
            session.connection().execute(text(update), {"status": "available", "id": tampered.id})
    assert cli.invoke(app, ["verify-ledger"]).exit_code == 0
