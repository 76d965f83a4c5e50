"""kill -9 the server during a burst of reservations on PostgreSQL, restart, check the books:
the kill lands with requests in flight, nothing confirmed is lost, nothing is booked twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, func, select, update

from inventory_service.platform.db import Database
from inventory_service.warehouse import ledger
from models import Movement, Reservation, SpareUnit
from models.base import utcnow
from models.idempotency import IdempotencyRecord
from tests import factories
from tests.concurrency.test_reservation_races import reserve
from tests.conftest import TokenFactory, _token_factory

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(db: Database, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = os.environ | {
        "INVENTORY_DATABASE_URL": db.url,
        "INVENTORY_LOG_LEVEL": "WARNING",
        "INVENTORY_ENVIRONMENT": "test",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:serve_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # a loaded CI machine starts slowly
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.1)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


UNITS = 250  # more units than keys: without the kill every key would be confirmed
KEYS = 200
KILL_AFTER = 20  # confirmations
WAIT_SECONDS = 120


@dataclass
class Burst:
    """What the clients saw: confirmed answers, requests cut off mid-flight, refused connects."""

    confirmed: dict[str, dict[str, object]] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)  # sent, then the connection died
    refused: set[str] = field(default_factory=set)  # the server was gone before the request
    lock: threading.Lock = field(default_factory=threading.Lock)


def test_a_killed_server_loses_nothing_it_confirmed(committed_db: Database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the crash test is about PostgreSQL (SQLite is covered by the race tests)")
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        for i in range(UNITS):
            factories.spare(session, f"C{i:03d}")
    make_headers: TokenFactory = _token_factory(committed_db)
    headers = make_headers("engineer", name="crash-test")
    port = free_port()
    keys = [f"crash-{i}" for i in range(KEYS)]
    burst = _burst_then_kill(committed_db, port, headers, keys)
    # The kill landed mid-burst: requests were in flight when it fell (their connections died
    # with no answer), and keys were left that the server never answered, although there were
    # units enough for every key.
    assert burst.dropped, "no request was in flight when the server was killed"
    assert len(burst.confirmed) < KEYS
    assert burst.confirmed.keys().isdisjoint(burst.dropped | burst.refused)
    with server(committed_db, port):
        _retry_everything(committed_db, f"http://127.0.0.1:{port}", headers, keys, burst)
    _check_the_books(committed_db, keys, burst)


def _burst_then_kill(db: Database, port: int, headers: dict[str, str], keys: list[str]) -> Burst:
    """Reserve one unit per key from 16 clients; kill -9 the server after `KILL_AFTER`
    confirmations, and wait for every client to see the end of its request."""
    url = f"http://127.0.0.1:{port}"
    burst = Burst()

    def fire(key: str) -> None:
        try:
            answer = reserve(url, headers, key, key)
        except httpx.ConnectError:
            with burst.lock:
                burst.refused.add(key)
            return
        except httpx.HTTPError:
            with burst.lock:
                burst.dropped.add(key)
            return
        if answer.status_code == 201:
            with burst.lock:
                burst.confirmed[key] = answer.json()

    with server(db, port) as proc, ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(fire, key) for key in keys]
        deadline = time.monotonic() + WAIT_SECONDS
        while len(burst.confirmed) < KILL_AFTER:
            if time.monotonic() > deadline:
                pytest.fail(f"only {len(burst.confirmed)} confirmations in {WAIT_SECONDS} s")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        for future in futures:
            future.result(timeout=WAIT_SECONDS)
    return burst


def _retry_everything(
    db: Database, url: str, headers: dict[str, str], keys: list[str], burst: Burst
) -> None:
    """On the restarted server: nothing confirmed is lost, and every key retried books once."""
    # Each confirmed reservation is there as it was answered; its retry is the first answer.
    for key, seen in burst.confirmed.items():
        got = httpx.get(f"{url}/api/v1/reservations/{seen['id']}", headers=headers)
        assert got.status_code == 200
        assert got.json() == seen
        assert reserve(url, headers, key, key).json() == seen
    # Every key retried: an answer, or `idempotency_in_progress` for a key whose request
    # died after claiming it (its work cannot have committed).
    in_progress = set()
    for key in keys:
        retry = reserve(url, headers, key, key)
        if retry.status_code == 409:
            assert retry.json()["error"]["code"] == "idempotency_in_progress"
            in_progress.add(key)
        else:
            assert retry.status_code == 201, retry.text
    assert in_progress <= burst.dropped
    with db.transaction(write=False) as session:
        booked = set(session.exec(select(Reservation.ticket)).all())
    assert booked.isdisjoint(in_progress)
    # Their lease runs out (2 minutes, here aged by hand): the retry then books them once.
    with db.transaction() as session:
        session.exec(  # type: ignore[call-overload]
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.status_code).is_(None))
            .values(created_at=utcnow() - timedelta(minutes=3))
        )
    for key in in_progress:
        assert reserve(url, headers, key, key).status_code == 201


def _check_the_books(db: Database, keys: list[str], burst: Burst) -> None:
    """Every key booked exactly once, each on its own unit, each with its one ledger row."""
    with db.transaction(write=False) as session:
        assert ledger.verify(session) == []
        tickets = session.exec(select(Reservation.ticket)).all()
        reserved_units = session.exec(
            select(func.count()).select_from(SpareUnit).where(SpareUnit.status == "reserved")
        ).one()
        reserved_rows = session.exec(
            select(func.count()).select_from(Movement).where(Movement.action == "reserved")
        ).one()
        distinct_units = session.exec(select(func.count(func.distinct(Reservation.spare_id)))).one()
        for key, seen in burst.confirmed.items():
            held = session.get(Reservation, seen["id"])
            assert held is not None
            assert (held.ticket, held.status, held.spare_id) == (key, "active", seen["spare_id"])
    assert sorted(tickets) == sorted(keys)
    assert reserved_units == reserved_rows == distinct_units == KEYS
