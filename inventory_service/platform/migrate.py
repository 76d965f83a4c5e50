"""Schema migrations through Alembic; the scripts ship inside the package.

Rules: the schema changes only here; `upgrade` is safe to run again (a no-op at head).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection

from inventory_service.platform.db import normalize_url

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for `url` that works from any working directory."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the latest)."""
    command.upgrade(alembic_config(url), revision)


def upgrade_connection(url: str, connection: Connection, revision: str = "head") -> None:
    """Migrate over an existing connection (tests migrate once per session this way)."""
    cfg = alembic_config(url)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def head_revision() -> str | None:
    """The newest revision the shipped scripts know."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def is_known(revision: str) -> bool:
    """Whether the shipped scripts know `revision` (an unknown one was written by newer code)."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    return MigrationContext.configure(connection).get_current_revision()
