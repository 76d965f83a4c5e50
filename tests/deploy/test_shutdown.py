"""SIGTERM, as the kubelet sends it: in-flight requests finish, then the sweeper and pool stop."""

from __future__ import annotations

import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import func, select

from inventory_service.platform.db import Database
from models import Reservation
from tests.concurrency.test_reservation_races import reserve, stock_up
from tests.conftest import _token_factory
from tests.deploy.service import replica

pytestmark = [pytest.mark.concurrency, pytest.mark.slow, pytest.mark.postgres_only]

IN_FLIGHT = 6
SHUTDOWN_STEPS = (
    "expiry sweeper stopped",
    "database pool closed",
    "Application shutdown complete.",
)


def _waiting_on_locks(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_loses_no_request_in_flight(
    committed_db: Database, backend: str, tmp_path: Path, workers: int
) -> None:
    if backend != "postgresql":
        pytest.skip("holds a PostgreSQL table lock to keep requests in flight")
    stock_up(committed_db, IN_FLIGHT)
    headers = _token_factory(committed_db)("engineer", name="shutdown-test")
    blocker = create_engine(committed_db.url)
    with (
        replica(
            committed_db.url,
            tmp_path / "serve.log",
            INVENTORY_EXPIRY_SWEEP_SECONDS="0.2",
            INVENTORY_SHUTDOWN_GRACE_SECONDS="30",
            INVENTORY_WORKERS=str(workers),
        ) as server,
        blocker.connect() as lock_holder,
        ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool,
    ):
        # Every reservation writes a ledger row: holding the ledger keeps them all in flight.
        lock_holder.execute(text("LOCK TABLE movement IN SHARE MODE"))
        pending = [
            pool.submit(reserve, server.url, headers, f"drain-{i}", f"D-{i}")
            for i in range(IN_FLIGHT)
        ]
        deadline = time.monotonic() + 30
        while _waiting_on_locks(committed_db.url) < IN_FLIGHT:
            assert time.monotonic() < deadline, "the requests never reached the ledger"
            time.sleep(0.05)

        server.terminate()
        time.sleep(1.5)
        assert server.proc.poll() is None, "the process must wait for its in-flight requests"
        # No new request is served: one process has closed its socket (refused); a supervisor
        # keeps the shared socket open, so the connection waits unserved in its backlog.
        with pytest.raises(httpx.ConnectError if workers == 1 else httpx.ReadTimeout):
            httpx.get(f"{server.url}/healthz", timeout=2)

        lock_holder.rollback()  # the ledger is free again: the drained requests commit
        answers = [future.result(timeout=30) for future in pending]
        assert [a.status_code for a in answers] == [201] * IN_FLIGHT
        # One process re-raises the SIGTERM it handled once done (143 to the kubelet); the
        # supervisor of several workers exits 0 after it has joined them.
        assert server.proc.wait(timeout=30) == (-signal.SIGTERM if workers == 1 else 0)
    blocker.dispose()

    with committed_db.transaction(write=False) as session:
        assert session.exec(select(func.count()).select_from(Reservation)).one() == IN_FLIGHT
    messages = [entry["msg"] for entry in server.logs()]
    tail = [m for m in messages if m in SHUTDOWN_STEPS]
    assert Counter(tail) == dict.fromkeys(SHUTDOWN_STEPS, workers)  # every worker, each step
    if workers == 1:
        assert tail == list(SHUTDOWN_STEPS)
