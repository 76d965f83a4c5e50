"""The `inventory-service` command against a real database (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from inventory_service.cli import app
from inventory_service.lifecycle import loans
from inventory_service.lifecycle.reservations import effective_status
from inventory_service.platform import auth, health
from inventory_service.platform.db import Database, set_database
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from inventory_service.warehouse import ledger
from models import ApiToken, Customer, Reservation
from models.reservation import RepairOrder, Replacement
from models.spare import Stocktake


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


def test_token_create_prints_the_token_alone(cli: CliRunner, committed_db: Database) -> None:
    result = cli.invoke(app, ["token", "create", "--role", "admin", "--name", "ops"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    with committed_db.transaction(write=False) as session:
        caller = auth.authenticate(session, token)
    assert (caller.name, caller.role.value) == ("ops", "admin")


def test_token_list_never_shows_tokens_and_revoke_is_final(
    cli: CliRunner, committed_db: Database
) -> None:
    token = cli.invoke(app, ["token", "create", "--role", "reporter"]).stdout.strip()
    listing = cli.invoke(app, ["token", "list"])
    assert "reporter" in listing.stdout
    assert token not in listing.stdout
    with committed_db.transaction(write=False) as session:
        token_id = session.exec(select(ApiToken.id)).one()
    assert cli.invoke(app, ["token", "revoke", str(token_id)]).exit_code == 0
    auth.clear_cache()
    with (
        committed_db.transaction(write=False) as session,
        pytest.raises(Exception, match="invalid"),
    ):
        auth.authenticate(session, token)


def test_a_customer_token_needs_a_known_customer(cli: CliRunner) -> None:
    result = cli.invoke(app, ["token", "create", "--role", "customer"])
    assert result.exit_code != 0
    assert "customer" in result.stderr
    unknown = cli.invoke(app, ["token", "create", "--role", "customer", "--customer", "NOPE"])
    assert unknown.exit_code != 0
    assert "unknown customer" in unknown.stderr
    bad_role = cli.invoke(app, ["token", "create", "--role", "root"])
    assert bad_role.exit_code != 0


def test_seed_is_idempotent_and_demo_tokens_cover_every_role(
    cli: CliRunner, committed_db: Database
) -> None:
    first = cli.invoke(app, ["seed"])
    assert first.exit_code == 0, first.output
    with committed_db.transaction(write=False) as session:
        customers = session.exec(select(func.count()).select_from(Customer)).one()
    history = _history(committed_db)
    assert cli.invoke(app, ["seed"]).exit_code == 0
    with committed_db.transaction(write=False) as session:
        assert session.exec(select(func.count()).select_from(Customer)).one() == customers
    assert _history(committed_db) == history
    demo = cli.invoke(app, ["token", "demo"])
    assert demo.exit_code == 0
    for role in ("admin", "warehouse", "dispatcher", "engineer", "reporter", "customer"):
        assert role in demo.stdout


def _history(db: Database) -> dict[str, object]:
    """What the demo's six months of history left behind, checked for what a user would see."""
    now = datetime.now(UTC)
    with db.transaction(write=False) as session:
        done = session.exec(select(Replacement)).all()
        months = {r.replaced_at.strftime("%Y-%m") for r in done}
        late = [r for r in done if not r.within_deadline]
        orders = session.exec(select(RepairOrder.status)).all()
        reservations = session.exec(select(Reservation)).all()
        statuses = [effective_status(r, now).value for r in reservations]
        loan_rows = loans.list_loans(
            session,
            actor=auth.SYSTEM,
            filters=loans.LoanFilter(overdue=True),
            limit=100,
            cursor=None,
        ).items
        stocktakes = session.exec(select(Stocktake)).all()
        problems = ledger.verify(session)
    assert len(done) >= 60
    assert len(months) >= 6  # six months ending today
    # Every demo repair has its fault record (plan 2.2.6) and an arrival for the SLA clock.
    assert all(r.process and r.cause and r.solution and r.prevention for r in done)
    assert all(r.remote_support_at is not None and r.arrival_minutes is not None for r in done)
    assert any(r.arrived_within_response is False for r in done)
    assert min(r.replaced_at for r in done) >= now - timedelta(days=190)
    assert 0 < len(late) < len(done) // 4  # a few past 4 h
    assert any(r.arrived_at is not None and r.arrived_at > r.fault_reported_at for r in done)
    assert {"repaired", "scrapped", "open"} <= set(orders)
    assert {"expired", "cancelled", "fulfilled"} <= set(statuses)
    assert len(loan_rows) == 1  # one standby still out past its due date
    assert len(stocktakes) == 1
    assert stocktakes[0].result["missing"]
    assert stocktakes[0].result["unexpected"]
    assert problems == []
    return {"replacements": len(done), "orders": sorted(orders), "statuses": sorted(statuses)}


def test_migrate_brings_a_new_sqlite_file_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    old_settings = replace_settings(Settings(database_url=url))
    old_db = set_database(None)
    try:
        result = CliRunner().invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        db = Database(url)
        assert health.readiness(db).ready
        db.dispose()
    finally:
        set_database(old_db)
        replace_settings(old_settings)
