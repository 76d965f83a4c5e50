"""kill -9 the server during a burst of reservations on PostgreSQL, restart, check the books."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from inventory_service.platform.db import Database
from inventory_service.warehouse import ledger
from models import Movement, Reservation, SpareUnit
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
    deadline = time.monotonic() + 30
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


def test_a_killed_server_leaves_no_half_written_reservation(
    committed_db: Database, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the crash test is about PostgreSQL (SQLite is covered by the race tests)")
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        for i in range(150):
            factories.spare(session, f"C{i:03d}")
    make_headers: TokenFactory = _token_factory(committed_db)
    headers = make_headers("engineer", name="crash-test")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    confirmed: dict[str, dict[str, object]] = {}
    keys = [f"crash-{i}" for i in range(200)]

    def fire(key: str) -> None:
        try:
            answer = reserve(url, headers, key, key)
        except httpx.HTTPError:
            return
        if answer.status_code == 201:
            confirmed[key] = answer.json()

    with server(committed_db, port) as proc, ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(fire, key) for key in keys]
        while len(confirmed) < 20:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        for future in futures:
            future.result()
    assert confirmed, "some reservations were confirmed before the kill"
    assert len(confirmed) < len(keys), "the kill landed mid-burst"

    with server(committed_db, port):
        for key, seen in confirmed.items():
            got = httpx.get(f"{url}/api/v1/reservations/{seen['id']}", headers=headers)
            assert got.status_code == 200
            assert got.json()["spare_id"] == seen["spare_id"]
            replay = reserve(url, headers, key, key)
            assert replay.json() == seen  # the retry returns the first answer
        for key in keys:  # retry everything: nothing is booked twice
            assert reserve(url, headers, key, key).status_code in (201, 409)

    with committed_db.transaction(write=False) as session:
        assert ledger.verify(session) == []
        reservations = session.exec(select(func.count()).select_from(Reservation)).one()
        reserved_units = session.exec(
            select(func.count()).select_from(SpareUnit).where(SpareUnit.status == "reserved")
        ).one()
        reserved_rows = session.exec(
            select(func.count()).select_from(Movement).where(Movement.action == "reserved")
        ).one()
        distinct_units = session.exec(select(func.count(func.distinct(Reservation.spare_id)))).one()
    assert reservations == reserved_units == reserved_rows == distinct_units
    assert reservations <= len(keys)
