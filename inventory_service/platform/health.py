"""Readiness: the database answers and is migrated to the head the code expects."""

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

    @property
    def ready(self) -> bool:
        return self.database and self.schema_revision == self.expected_revision

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not_ready",
            "database": "ok" if self.database else "unreachable",
            "schema_revision": self.schema_revision,
            "expected_revision": self.expected_revision,
        }


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
    return Readiness(database=True, schema_revision=current, expected_revision=expected)
