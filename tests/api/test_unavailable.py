"""A locked or unreachable database is 503 `service_unavailable` with Retry-After, within a
bounded time, never a hang or a 500; on REST and GraphQL, before and after authentication."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from inventory_service.platform import auth
from inventory_service.platform.db import Database
from inventory_service.platform.settings import Settings, get_settings

API = "/api/v1"


def fast(**changes: object) -> Settings:
    """Settings with short waits (the production defaults are seconds)."""
    base = {
        "sqlite_busy_timeout_ms": 300,
        "db_lock_timeout_ms": 300,
        "db_connect_timeout_seconds": 2,
        "db_pool_timeout_seconds": 1.0,
    }
    return get_settings().model_copy(update=base | changes)


def assert_unavailable(response: object) -> None:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text


@pytest.fixture
def locked(committed_db: Database) -> Iterator[tuple[Database, dict[str, str]]]:
    """A database whose customer table another connection holds locked for writing.

    SQLite: another connection holds the write lock (BEGIN IMMEDIATE). PostgreSQL: another
    connection holds an exclusive lock on the table.
    """
    with committed_db.transaction() as session:
        issued = auth.create_token(session, role="admin", name="locked-admin")
    headers = {"Authorization": f"Bearer {issued.token}"}
    app_db = Database(committed_db.url, cfg=fast())
    holder = committed_db.write_engine.connect()
    holder.begin()  # SQLite: BEGIN IMMEDIATE, the write lock
    if not committed_db.is_sqlite:
        holder.execute(text('LOCK TABLE "customer" IN EXCLUSIVE MODE'))
    try:
        yield app_db, headers
    finally:
        holder.rollback()
        holder.close()
        app_db.dispose()


def test_a_locked_database_is_503_within_the_timeout(
    locked: tuple[Database, dict[str, str]],
) -> None:
    app_db, headers = locked
    with TestClient(create_app(database=app_db, cfg=fast())) as client:
        started = time.perf_counter()
        response = client.post(
            f"{API}/customers", json={"code": "LNLOCK", "name": "locked"}, headers=headers
        )
        elapsed = time.perf_counter() - started
        assert_unavailable(response)
        assert elapsed < 5
        # reads go on (SQLite's WAL readers, PostgreSQL's EXCLUSIVE admits readers)
        assert client.get(f"{API}/customers", headers=headers).status_code == 200
    with locked[0].transaction(write=False) as session:
        codes = session.execute(text('SELECT code FROM "customer"')).scalars().all()
    assert "LNLOCK" not in codes


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a PostgreSQL that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    port: int = server.getsockname()[1]
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def unreachable_urls(tmp_path: Path, blackhole: int) -> dict[str, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    return {
        "refused": f"postgresql+psycopg://postgres@127.0.0.1:{refused}/nothing",
        "hanging": f"postgresql+psycopg://postgres@127.0.0.1:{blackhole}/nothing",
        "sqlite": f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}",
    }


@pytest.mark.parametrize("kind", ["refused", "hanging", "sqlite"])
def test_an_unreachable_database_is_503_not_a_hang(
    kind: str, tmp_path: Path, blackhole: int
) -> None:
    url = unreachable_urls(tmp_path, blackhole)[kind]
    cfg = fast()
    database = Database(url, cfg=cfg)
    token = {"Authorization": "Bearer inv_whatever"}
    try:
        with TestClient(create_app(database=database, cfg=cfg)) as client:
            started = time.perf_counter()
            read = client.get(f"{API}/customers", headers=token)
            write = client.post(f"{API}/customers", json={"code": "X", "name": "x"}, headers=token)
            graphql = client.post("/graphql", json={"query": "{ __typename }"}, headers=token)
            elapsed = time.perf_counter() - started
            health = client.get("/healthz")
            ready = client.get("/readyz")
    finally:
        database.dispose()
    for response in (read, write, graphql):
        assert_unavailable(response)
    assert elapsed < 3 * (cfg.db_connect_timeout_seconds + 2)
    assert health.status_code == 200
    assert ready.status_code == 503
