"""Test databases: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (a server where we may create databases), else from
a server answering at 127.0.0.1:5432 as user postgres (the header of the run says so), else
from testcontainers where a Docker engine answers; without any of them the PostgreSQL half
skips with the reason, except under CI, where it fails. Each test worker gets its own freshly
migrated database; each test runs inside a transaction rolled back at the end (`db`), except
tests that need real commits on separate connections (`committed_db`), which start empty and
are truncated afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

import models
from api.app import create_app
from inventory_service.platform import auth, migrate
from inventory_service.platform.db import Database, normalize_url
from inventory_service.platform.settings import Settings, replace_settings
from inventory_service.warehouse import counts, ledger

IN_CI = bool(os.environ.get("CI"))

# Examples run against real databases on a shared 2-core machine: time is not the property.
hypothesis_settings.register_profile("default", deadline=None, print_blob=True)
hypothesis_settings.load_profile("default")


@pytest.fixture(scope="session", autouse=True)
def _test_settings() -> Iterator[None]:
    old = replace_settings(
        Settings(environment="test", auth_cache_seconds=0, log_json=False, expiry_sweep_seconds=0)
    )
    yield
    replace_settings(old)


# Where a newcomer's PostgreSQL answers: `make test` runs both halves without configuration.
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _local_postgres() -> str | None:
    """LOCAL_POSTGRES if a server answers there and lets us in, else None."""
    import psycopg

    try:
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2
        ):
            return LOCAL_POSTGRES
    except psycopg.Error:
        return None


def _postgres_source() -> tuple[str | None, str]:
    """The server URL the PostgreSQL half uses (None: try Docker), and a line saying so."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalize_url(url), "PostgreSQL: TEST_DATABASE_URL"
    local = _local_postgres()
    if local is not None:
        return local, (
            "PostgreSQL: TEST_DATABASE_URL is not set; using the server answering at "
            "127.0.0.1:5432 (user postgres)"
        )
    return None, "PostgreSQL: no TEST_DATABASE_URL and none at 127.0.0.1:5432; trying Docker"


def pytest_report_header(config: pytest.Config) -> str:
    return _postgres_source()[1]


def _docker_postgres() -> Iterator[str] | None:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env().ping()
    except Exception:
        return None
    from testcontainers.postgres import PostgresContainer

    def run() -> Iterator[str]:
        with PostgresContainer("postgres:15-alpine", driver="psycopg") as pg:
            yield pg.get_connection_url()

    return run()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL on which this test session may create databases."""
    url, _ = _postgres_source()
    if url is not None:
        yield url
        return
    container = _docker_postgres()
    if container is not None:
        yield from container
        return
    reason = "PostgreSQL tests need TEST_DATABASE_URL, a server at 127.0.0.1:5432 or Docker"
    if IN_CI:
        pytest.fail(f"{reason} (CI must not skip them)")
    pytest.skip(reason)


def _create_database(server_url: str) -> tuple[str, Callable[[], None]]:
    name = f"inv_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; tests copy it rather than migrating again."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """This worker's own migrated PostgreSQL database."""
    url, drop = _create_database(postgres_server_url)
    migrate.upgrade(url)
    yield url
    drop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A migrated database URL, once per backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite-shared") / "shared.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def backend(db_url: str) -> str:
    """`sqlite` or `postgresql`."""
    return make_url(db_url).get_backend_name()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A database whose every session joins one outer transaction, rolled back after the test."""
    engine_db = Database(db_url)
    with engine_db.write_engine.connect() as connection:
        outer = connection.begin()
        bound = Database.bound(db_url, connection)
        yield bound
        assert_ledger_replays(bound)
        outer.rollback()
    engine_db.dispose()
    auth.clear_cache()


def assert_ledger_replays(db: Database) -> None:
    """After every test: the movement ledger replays to each unit's current state, and the
    counts table equals the units it counts."""
    with db.transaction(write=False) as session:
        problems = ledger.verify(session)
        wrong_counts = counts.verify(session)
    assert not problems, f"the ledger does not replay: {problems}"
    assert not wrong_counts, f"spare_count differs from the units: {wrong_counts}"


def _truncate(db: Database) -> None:
    tables = [t.name for t in reversed(models.metadata.sorted_tables)]
    with db.transaction() as session:
        if db.is_sqlite:
            for table in tables:
                session.exec(text(f'DELETE FROM "{table}"'))  # type: ignore[call-overload]
        else:
            joined = ", ".join(f'"{t}"' for t in tables)
            session.exec(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))  # type: ignore[call-overload]


@pytest.fixture
def committed_db(db_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A real database with real commits on separate connections (concurrency tests)."""
    if make_url(db_url).get_backend_name() == "sqlite":
        path = tmp_path / "committed.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        assert_ledger_replays(database)
        database.dispose()
    else:
        database = Database(db_url)
        _truncate(database)
        yield database
        try:
            assert_ledger_replays(database)
        finally:
            _truncate(database)
        database.dispose()
    auth.clear_cache()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    """An HTTP client on the app, bound to the test's database."""
    with TestClient(create_app(database=db), raise_server_exceptions=False) as test_client:
        yield test_client


TokenFactory = Callable[..., dict[str, str]]


def _token_factory(db: Database) -> TokenFactory:
    def make(
        role: str = "admin", customer: str | None = None, name: str | None = None
    ) -> dict[str, str]:
        with db.transaction() as session:
            issued = auth.create_token(session, role=role, customer_code=customer, name=name)
        return {"Authorization": f"Bearer {issued.token}"}

    return make


@pytest.fixture
def headers_for(db: Database) -> TokenFactory:
    """`headers_for("engineer")` → request headers with a fresh token of that role."""
    return _token_factory(db)


@pytest.fixture
def admin(headers_for: TokenFactory) -> dict[str, str]:
    """Headers of an admin token."""
    return headers_for("admin", name="test-admin")


class LiveServer:
    def __init__(self, url: str, database: Database) -> None:
        self.url = url
        self.database = database
        self.headers_for = _token_factory(database)


@pytest.fixture
def live_server(committed_db: Database) -> Iterator[LiveServer]:
    """The real app under uvicorn on 127.0.0.1, over a committed database (real HTTP)."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(database=committed_db),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        limit_concurrency=1000,
        backlog=1024,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", committed_db)
    server.should_exit = True
    thread.join(timeout=10)


class Statements:
    """Counts the SQL statements sent while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


@pytest.fixture
def statements(db: Database) -> Callable[[], AbstractContextManager[Statements]]:
    """`with statements() as counted:` counts what the database receives (every session)."""
    assert db._bind is not None
    engine = db._bind.engine

    @contextmanager
    def counting() -> Iterator[Statements]:
        counter = Statements()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting
