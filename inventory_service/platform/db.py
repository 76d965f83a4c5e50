"""Engines and sessions for SQLite (embedded) and PostgreSQL (psycopg 3).

Rules: SQLite runs in WAL with foreign keys on and a busy timeout, and every write transaction
starts with BEGIN IMMEDIATE, so two writers are serialized at BEGIN instead of failing at
COMMIT; PostgreSQL writers lock rows they change. A session is one transaction: `transaction()`
commits it whole or rolls it back whole. Services flush, never commit.
Every wait is bounded: SQLite's busy timeout, PostgreSQL's connect timeout and lock timeout,
the pool's checkout timeout. A database that is locked past them or cannot be reached is
`ServiceUnavailable` (`unavailable()` tells which errors those are), never a hang.
`integer_rows` reads a statement of integers as one array (on PostgreSQL as one row of arrays).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, Select, create_engine, event, func
from sqlalchemy import exc as sa_exc
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Row, make_url
from sqlmodel import Session

from inventory_service.platform.errors import ServiceUnavailable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
from inventory_service.platform.settings import Settings, get_settings


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and point them at psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_engine(url: str, cfg: Settings, *, begin: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": cfg.sqlite_busy_timeout_ms / 1000},
        pool_size=cfg.db_pool_size,
        max_overflow=20,
        pool_timeout=cfg.db_pool_timeout_seconds,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(cfg.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """Where sessions come from: a URL, or (in tests) one connection shared by every session."""

    def __init__(self, url: str, *, cfg: Settings | None = None) -> None:
        cfg = cfg or get_settings()
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self._bind: Connection | None = None
        self._async_engine: AsyncEngine | None = None
        self._pool_options: dict[str, Any] = {}
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, cfg, begin="BEGIN")
            self.write_engine = _sqlite_engine(self.url, cfg, begin="BEGIN IMMEDIATE")
        else:
            # The same pool and connection settings for the sync engine and the async one.
            self._pool_options = {
                "pool_size": cfg.db_pool_size,
                "pool_pre_ping": True,
                "pool_timeout": cfg.db_pool_timeout_seconds,
                "connect_args": {
                    "connect_timeout": cfg.db_connect_timeout_seconds,
                    "options": f"-c lock_timeout={cfg.db_lock_timeout_ms}",
                },
            }
            self.engine = create_engine(self.url, max_overflow=20, **self._pool_options)
            self.write_engine = self.engine

    @classmethod
    def bound(cls, url: str, connection: Connection) -> Database:
        """A database whose sessions all join `connection`'s transaction (savepoints)."""
        db = cls(url)
        db._bind = connection
        return db

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def session(self, *, write: bool = False) -> Session:
        """A new session; `write=True` takes SQLite's write lock at BEGIN."""
        if self._bind is not None:
            session = Session(
                bind=self._bind, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        else:
            session = Session(self.write_engine if write else self.engine, expire_on_commit=False)
        # Read-only sessions never see uncommitted rows; caches may trust what they read.
        session.info["write"] = write
        return session

    def single_statement(self) -> Session:
        """A read session for reads of ONE statement each: on PostgreSQL without a transaction
        around it (no BEGIN and ROLLBACK round trips; one statement reads one snapshot anyway)."""
        session = self.session()
        if self._bind is None and self.dialect == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return session

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()

    @property
    def reads_async(self) -> bool:
        """Can `read_async` run here: PostgreSQL, not bound to a test's transaction (whose
        uncommitted rows another connection would not see)."""
        return self.dialect == "postgresql" and self._bind is None

    async def read_async(
        self, stmt: Select[*tuple[Any, ...]], params: Mapping[str, Any]
    ) -> list[Row[Any]]:
        """The rows of ONE read statement on psycopg's async driver, on the event loop (no
        thread-pool hop) and outside a transaction (one round trip; one statement reads one
        snapshot anyway). PostgreSQL only (`reads_async`); a pool of `db_pool_size` connections.
        """
        if not self.reads_async:
            raise RuntimeError("read_async needs PostgreSQL outside a test's bound transaction")
        if self._async_engine is None:
            # Loaded here: a process that never reads this way (the CLI, SQLite) skips it.
            from sqlalchemy.ext.asyncio import create_async_engine

            self._async_engine = create_async_engine(
                self.url,
                # No overflow: under a burst each overflow connection was opened and closed
                # per request (a PostgreSQL backend each), and the lookup ran at half speed.
                max_overflow=0,
                execution_options={"isolation_level": "AUTOCOMMIT"},
                **self._pool_options,
            )
        async with self._async_engine.connect() as connection:
            return list((await connection.execute(stmt, params)).all())

    async def dispose_async(self) -> None:
        """Close the async driver's pool (when `read_async` opened one)."""
        if self._async_engine is not None:
            await self._async_engine.dispose()
            self._async_engine = None


_database: Database | None = None


def get_database() -> Database:
    """The process-wide database, built from the settings on first use."""
    global _database
    if _database is None:
        _database = Database(get_settings().database_url)
    return _database


def set_database(db: Database | None) -> Database | None:
    """Replace the process-wide database (tests, CLI); returns the previous one."""
    global _database
    old, _database = _database, db
    return old


def flush_or_conflict(session: Session, error: Exception) -> None:
    """Flush; a unique or foreign-key violation that a racing writer caused becomes `error`."""
    from sqlalchemy.exc import IntegrityError

    try:
        session.flush()
    except IntegrityError as exc:
        raise error from exc


def unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """The `ServiceUnavailable` a database error stands for, or None when it is not one.

    Unavailable: the pool had no connection in time; the server cannot be reached or dropped
    the connection; a lock was not granted in time (SQLite `database is locked`, PostgreSQL
    `lock_timeout`). Not: constraint violations, SQL errors, a schema that is not there.
    """
    if isinstance(exc, sa_exc.TimeoutError):
        return ServiceUnavailable("the database is busy; retry shortly")
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if "no such table" in text or "no such column" in text:
        return None
    if "locked" in text or "busy" in text or "lock timeout" in text:
        return ServiceUnavailable("the database is busy; retry shortly")
    return ServiceUnavailable("the database cannot be reached; retry shortly")


@contextmanager
def unavailable_as_domain_error() -> Iterator[None]:
    """Re-raise a database-unavailable error as `ServiceUnavailable` (for surfaces that map
    only domain errors, such as GraphQL)."""
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        found = unavailable(exc)
        if found is None:
            raise
        raise found from exc


@lru_cache(maxsize=64)
def _as_arrays(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    rows = stmt.subquery("rows")
    return sa_select(*(func.array_agg(column) for column in rows.columns))


def integer_rows(
    session: Session, stmt: Select[*tuple[Any, ...]], params: Mapping[str, Any] | None = None
) -> npt.NDArray[np.int64]:
    """The rows of a statement whose columns are all integers (or booleans), as one
    (rows × columns) array. On PostgreSQL the rows come as one row of arrays: thousands of
    rows cost more to fetch one by one than to aggregate. Module-level statements only (the
    wrapping is cached by statement)."""
    width = len(stmt.selected_columns)
    if session.get_bind().dialect.name == "postgresql":
        columns = session.execute(_as_arrays(stmt), params).one()
        if columns[0] is None:  # no rows
            return np.empty((0, width), dtype=np.int64)
        return np.array(columns, dtype=np.int64).T.copy()
    rows = session.execute(stmt, params).all()
    # Rows are flattened straight into the array (numpy would probe each Row as an object).
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=width * len(rows))
    return flat.reshape(len(rows), width)
