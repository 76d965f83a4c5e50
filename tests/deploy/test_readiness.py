"""Readiness across a rolling update: the migration Job runs before the new pods start."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from inventory_service.platform import health, migrate
from inventory_service.platform.db import Database


def _stamp(db: Database, revision: str) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_schema_migrated_by_a_newer_release_keeps_this_replica_ready(
    db: Database, client: TestClient
) -> None:
    _stamp(db, "f00dfacefeed")  # a revision only the next release ships
    state = health.readiness(db)
    assert state.ready
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["schema"] == "ahead"
    assert answer.json()["schema_revision"] == "f00dfacefeed"


def test_a_schema_behind_this_release_is_not_ready(db: Database, client: TestClient) -> None:
    assert migrate.head_revision() != "81b3659575b8"
    _stamp(db, "81b3659575b8")  # the first revision, which this code has moved past
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["schema"] == "behind"


def test_ready_at_the_head_says_expected(client: TestClient) -> None:
    assert client.get("/readyz").json()["schema"] == "expected"
