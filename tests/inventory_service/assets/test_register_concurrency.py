"""Racing writers on real connections: one serial registered once, one If-Match honoured once."""

from __future__ import annotations

import threading
from collections.abc import Callable

from inventory_service.assets import devices, register
from inventory_service.platform.db import Database
from inventory_service.platform.errors import DomainError, DuplicateSerial, PreconditionFailed
from models.device import DeviceUpdate
from tests import factories


def race(workers: list[Callable[[], None]]) -> list[BaseException | None]:
    """Run the workers at once (each in its own transaction); what each raised, or None."""
    barrier = threading.Barrier(len(workers))
    outcomes: list[BaseException | None] = [None] * len(workers)

    def run(i: int) -> None:
        barrier.wait()
        try:
            workers[i]()
        except DomainError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_two_racing_creates_of_one_serial_register_it_once(committed_db: Database) -> None:
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01")

    def create() -> None:
        with committed_db.transaction() as session:
            factories.device(session, "RACE-1")

    outcomes = race([create, create])
    assert sorted(type(o).__name__ for o in outcomes) == ["DuplicateSerial", "NoneType"]
    assert any(isinstance(o, DuplicateSerial) for o in outcomes)


def test_two_patches_with_the_same_if_match_apply_once(committed_db: Database) -> None:
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01")
        device = factories.device(session, "D-1")
        device_id = device.id
    assert device_id is not None

    def patch(level: str) -> Callable[[], None]:
        def run() -> None:
            with committed_db.transaction() as session:
                register.patch_device(
                    session,
                    actor=factories.ACTOR,
                    device_id=device_id,
                    data=DeviceUpdate(patch_level=level),
                    expected_version=1,
                )

        return run

    outcomes = race([patch("SPC700"), patch("SPC800")])
    assert sum(isinstance(o, PreconditionFailed) for o in outcomes) == 1
    with committed_db.transaction(write=False) as session:
        view = devices.get(session, actor=factories.ACTOR, device_id=device_id)
        rows = devices.history(
            session, actor=factories.ACTOR, device_id=device_id, limit=10, cursor=None
        )
    winner = "SPC700" if outcomes[0] is None else "SPC800"
    assert (view.device.patch_level, view.version) == (winner, 2)
    assert [h.action for h in rows.items] == ["created", "updated"]
