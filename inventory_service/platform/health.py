"""Readiness: the database answers and is migrated to the head the code expects.

Rules: a schema behind this code's head (or never migrated) is not ready; a schema at a
revision this code does not know was migrated by a newer release, whose migrations are
additive (expand first, contract a release later), so this code still serves on it. That
keeps the old replicas serving while a migration Job runs ahead of a rolling update, and
lets a rollback to the previous image become ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from inventory_service.platform import migrate
from inventory_service.platform.db import Database


@dataclass(frozen=True, slots=True)
class Readiness:
    database: bool
    schema_revision: str | None
    expected_revision: str | None
    schema_ahead: bool = False

    @property
    def ready(self) -> bool:
        at_head = self.schema_revision == self.expected_revision
        return self.database and (at_head or self.schema_ahead)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not_ready",
            "database": "ok" if self.database else "unreachable",
            "schema_revision": self.schema_revision,
            "expected_revision": self.expected_revision,
            "schema": self.schema_state,
        }

    @property
    def schema_state(self) -> str | None:
        """`expected`, `ahead` (a newer release migrated it), `behind`; None if unreachable."""
        if not self.database:
            return None
        if self.schema_ahead:
            return "ahead"
        return "expected" if self.schema_revision == self.expected_revision else "behind"


def readiness(db: Database) -> Readiness:
    """Probe the database once."""
    expected = migrate.head_revision()
    try:
        with db.session() as session:
            connection = session.connection()
            connection.execute(text("SELECT 1"))
            current = migrate.current_revision(connection)
    except SQLAlchemyError:
        return Readiness(database=False, schema_revision=None, expected_revision=expected)
    ahead = current is not None and current != expected and not migrate.is_known(current)
    return Readiness(
        database=True, schema_revision=current, expected_revision=expected, schema_ahead=ahead
    )
