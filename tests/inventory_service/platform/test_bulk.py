"""`gc_paused` (the collector off inside, back as it was after) and `insert_many` (the same
rows as SQLAlchemy's executemany, on both databases)."""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, insert

from inventory_service.platform.bulk import gc_paused, insert_many, reserve_ids
from inventory_service.platform.db import Database
from models.base import JSONType, UTCDateTime


def test_the_collector_is_off_inside_and_back_on_after_an_error() -> None:
    seen: list[bool] = []

    def fail_inside() -> None:
        with gc_paused():
            seen.append(gc.isenabled())
            raise RuntimeError

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        fail_inside()
    assert seen == [False]
    assert gc.isenabled()


def test_nested_and_overlapping_blocks_restore_it_only_when_the_last_one_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's block still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


PROBE = Table(
    "bulk_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("doc", JSONType),
    Column("tag", JSONType),  # hashable values only: 1, True and 1.0 are equal dict keys
    Column("flag", Boolean),
    Column("n", Float),
    Column("text", String(20)),
)


def test_insert_many_writes_what_sqlalchemys_executemany_writes(db: Database) -> None:
    """The stored values are the same to the byte: times, JSON (None is JSON null), booleans."""
    now = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # no microseconds: a format edge
    later = datetime(2026, 12, 1, 12, 30, 0, 123, tzinfo=timezone(timedelta(hours=8)))
    rows = [
        {"at": now, "tag": 1, "doc": {"role": "PE", "n": 1, "f": 1.0, "b": True}, "flag": True,
         "n": 1.0, "text": "维修"},
        {"at": now, "tag": True, "doc": None, "flag": False, "n": 2.5, "text": None},
        {"at": later, "tag": 1.0, "doc": [1, True, 1.0, "x"], "flag": None, "n": None,
         "text": "a'b"},
        {"at": later, "tag": None, "doc": 1, "flag": True, "n": 1.0, "text": ""},
        {"at": now, "tag": "x", "doc": True, "flag": True, "n": 1.0, "text": "1"},
    ]  # fmt: skip
    with db.transaction() as session:
        connection = session.connection()
        PROBE.create(connection)
        try:
            insert_many(connection, PROBE, [{"id": i + 1, **row} for i, row in enumerate(rows)])
            connection.execute(
                insert(PROBE), [{"id": i + 101, **row} for i, row in enumerate(rows)]
            )
            stored = connection.exec_driver_sql(
                "SELECT id, at, doc, tag, flag, n, text FROM bulk_probe ORDER BY id"
            ).all()
        finally:
            PROBE.drop(connection)
    mine, sqlalchemys = stored[: len(rows)], stored[len(rows) :]
    assert [tuple(r[1:]) for r in mine] == [tuple(r[1:]) for r in sqlalchemys]
    assert [r[0] for r in mine] == [1, 2, 3, 4, 5]


def test_insert_many_of_nothing_writes_nothing(db: Database) -> None:
    with db.transaction() as session:
        connection = session.connection()
        PROBE.create(connection)
        try:
            insert_many(connection, PROBE, [])
            assert connection.exec_driver_sql("SELECT count(*) FROM bulk_probe").scalar() == 0
        finally:
            PROBE.drop(connection)


def test_reserved_ids_are_new_and_the_next_plain_insert_takes_another(db: Database) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with db.transaction() as session:
        connection = session.connection()
        PROBE.create(connection)
        try:
            connection.execute(insert(PROBE), [{"at": now}, {"at": now}])
            ids = reserve_ids(connection, PROBE, 3)
            insert_many(connection, PROBE, [{"id": i, "at": now} for i in ids])
            connection.execute(insert(PROBE), [{"at": now}])
            stored = connection.exec_driver_sql("SELECT id FROM bulk_probe").scalars().all()
        finally:
            PROBE.drop(connection)
    assert len(set(ids)) == 3
    assert len(set(stored)) == len(stored) == 6
