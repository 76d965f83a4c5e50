"""Two real service processes on one PostgreSQL: what several Kubernetes replicas share.

Each replica is `inventory-service serve` (the image's entry point) in its own process, with
its own pool, caches and expiry sweeper; only the database is shared.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from threading import Barrier

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from inventory_service.platform.db import Database
from inventory_service.warehouse import ledger
from models import Movement, Reservation, SpareUnit
from models.base import utcnow
from tests.concurrency.test_reservation_races import reserve, stock_up
from tests.conftest import _token_factory
from tests.deploy.service import Replica, replica

pytestmark = [pytest.mark.concurrency, pytest.mark.slow, pytest.mark.postgres_only]


@pytest.fixture
def pg(committed_db: Database, backend: str) -> Database:
    if backend != "postgresql":
        pytest.skip("replicas share a PostgreSQL (SQLite is one machine's embedded database)")
    return committed_db


@pytest.fixture
def two_replicas(pg: Database, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    """Replica A (one worker) and replica B (two workers, from INVENTORY_WORKERS)."""
    sweep = {"INVENTORY_EXPIRY_SWEEP_SECONDS": "0.2"}
    with (
        replica(pg.url, tmp_path / "a.log", INVENTORY_WORKERS="1", **sweep) as a,
        replica(pg.url, tmp_path / "b.log", INVENTORY_WORKERS="2", **sweep) as b,
    ):
        yield a, b


def test_a_race_across_replicas_has_one_winner_per_unit_and_retries_replay_anywhere(
    pg: Database, two_replicas: tuple[Replica, Replica]
) -> None:
    stock_up(pg, 5)
    headers = _token_factory(pg)("engineer", name="racer")
    replicas = two_replicas
    racers = 40
    start = Barrier(racers)

    def first_try(i: int) -> httpx.Response:
        start.wait()
        return reserve(replicas[i % 2].url, headers, f"race-{i}", f"T-{i}")

    with ThreadPoolExecutor(max_workers=racers) as pool:
        answers = list(pool.map(first_try, range(racers)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 5, 409: racers - 5}, statuses
    won = [a.json()["spare_id"] for a in answers if a.status_code == 201]
    assert len(set(won)) == 5

    # The client's retry goes through the load balancer to the other replica.
    def retry(i: int) -> httpx.Response:
        return reserve(replicas[(i + 1) % 2].url, headers, f"race-{i}", f"T-{i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        retries = list(pool.map(retry, range(racers)))
    for first, again in zip(answers, retries, strict=True):
        assert again.status_code == first.status_code
        assert again.json() == first.json()
        assert again.headers.get("Idempotent-Replayed") == "true"

    with pg.transaction(write=False) as session:
        assert session.exec(select(func.count()).select_from(Reservation)).one() == 5
        held = session.exec(
            select(func.count()).select_from(SpareUnit).where(SpareUnit.status == "reserved")
        ).one()
        booked = session.exec(
            select(func.count()).select_from(Movement).where(Movement.action == "reserved")
        ).one()
        assert held == booked == 5
        assert ledger.verify(session) == []


def test_both_sweepers_release_each_overdue_hold_once(
    pg: Database, two_replicas: tuple[Replica, Replica]
) -> None:
    units = 12
    stock_up(pg, units)
    headers = _token_factory(pg)("engineer", name="sweep-test")
    replicas = two_replicas
    for i in range(units):
        made = reserve(replicas[i % 2].url, headers, f"hold-{i}", f"H-{i}")
        assert made.status_code == 201, made.text
    # Two hours pass for every hold at once; both replicas sweep every 0.2 s.
    with pg.transaction() as session:
        session.execute(update(Reservation).values(expires_at=utcnow() - timedelta(minutes=1)))

    def expired() -> int:
        with pg.transaction(write=False) as session:
            return session.exec(
                select(func.count()).select_from(Reservation).where(Reservation.status == "expired")
            ).one()

    deadline = time.monotonic() + 60  # many sweeps of 0.2 s, even on a busy machine
    while expired() < units and time.monotonic() < deadline:
        time.sleep(0.1)
    assert expired() == units

    with pg.transaction(write=False) as session:
        releases = session.exec(
            select(Movement.spare_id, func.count())
            .where(Movement.action == "reservation_expired")
            .group_by(col(Movement.spare_id))
        ).all()
        available = session.exec(
            select(func.count()).select_from(SpareUnit).where(SpareUnit.status == "available")
        ).one()
        assert ledger.verify(session) == []
    assert len(releases) == units
    assert {count for _, count in releases} == {1}
    assert available == units
    released_by = [
        sum(entry.get("released", 0) for entry in r.logs() if entry["msg"].startswith("expired"))
        for r in replicas
    ]
    assert sum(released_by) == units, released_by
