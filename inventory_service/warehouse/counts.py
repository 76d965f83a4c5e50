"""Counts of spare units per (part, warehouse, status, genuine): the `spare_count` table.

Rules that always hold here:
- `spare_count` holds the number of units per (part, warehouse, status, genuine) of every unit
  booked at a warehouse. The writer of a ledger row (`stock.transition`, a unit's first
  movement) records the change of counts in the session (`record`); they are written just
  before the transaction commits (one upsert per changed row, in key order, so two writers
  never wait on each other's count rows in opposite orders), so at every commit the table
  equals the grouped count of the units, on every replica and at every isolation level.
- Readers of the counts inside a writing session call `apply` first (their own changes).
- `grouped` reads them as an answer needs them: per (warehouse, part, genuine, available),
  as one array (`integer_rows`).
- `verify` compares the table with the units (the ledger replay check runs it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, bindparam, event, func, literal_column
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from inventory_service.platform.db import integer_rows
from models import SpareCount, SpareUnit, UnitStatus

CountKey = tuple[int, int, str, bool]
_DELTAS: Final = "spare_count_deltas"


def record(
    session: Session, part_id: int, warehouse_id: int | None, status: str, genuine: bool, n: int
) -> None:
    """Record a change of `spare_count` for this transaction (units off the books: none)."""
    if warehouse_id is None:
        return
    deltas: dict[CountKey, int] = session.info.setdefault(_DELTAS, {})
    key = (part_id, warehouse_id, status, bool(genuine))
    deltas[key] = deltas.get(key, 0) + n


def apply(session: Session) -> None:
    """Write the recorded count changes of this transaction (in key order); runs before every
    commit, and by readers of the counts inside a writing transaction."""
    deltas: dict[CountKey, int] | None = session.info.pop(_DELTAS, None)
    if not deltas:
        return
    conn = session.connection()
    table = SpareCount.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for (part_id, warehouse_id, status, genuine), n in sorted(deltas.items()):
        if n == 0:
            continue
        stmt = insert(table).values(
            part_id=part_id, warehouse_id=warehouse_id, status=status, genuine=genuine, units=n
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    table.c.part_id,
                    table.c.warehouse_id,
                    table.c.status,
                    table.c.genuine,
                ],
                set_={"units": table.c.units + n},
            )
        )


@event.listens_for(OrmSession, "before_commit")
def _counts_before_commit(session: OrmSession) -> None:
    apply(session)  # type: ignore[arg-type]


@event.listens_for(OrmSession, "after_transaction_end")
def _counts_forgotten(session: OrmSession, transaction: SessionTransaction) -> None:
    # Committed (already written) or rolled back (never to be written): nothing is pending.
    if transaction.parent is None:
        session.info.pop(_DELTAS, None)


_COUNTS: Final = SpareCount.__table__  # type: ignore[attr-defined]
# Statuses fold into available or not: the reasons need nothing finer (a constant expression,
# so that SELECT and GROUP BY render the same text).
_IS_AVAILABLE: Final[ColumnElement[int]] = literal_column(
    f"CASE WHEN status = '{UnitStatus.AVAILABLE.value}' THEN 1 ELSE 0 END"
)
_GROUPED: Final = (
    sa_select(
        _COUNTS.c.warehouse_id,
        _COUNTS.c.part_id,
        _COUNTS.c.genuine,
        _IS_AVAILABLE.label("available"),
        func.sum(_COUNTS.c.units).label("units"),
    )
    .where(
        _COUNTS.c.part_id.in_(bindparam("part_ids", expanding=True)),
        _COUNTS.c.status.not_in(bindparam("skip", expanding=True)),
        _COUNTS.c.units > 0,
    )
    .group_by(
        _COUNTS.c.warehouse_id,
        _COUNTS.c.part_id,
        _COUNTS.c.genuine,
        _IS_AVAILABLE,
    )
)


def grouped(
    session: Session, part_ids: Sequence[int], *, skip: Sequence[str]
) -> npt.NDArray[np.int64]:
    """(warehouse, part, genuine, available, units) rows of the units of these parts whose
    status is not in `skip`, as one array (this transaction's pending changes included)."""
    apply(session)  # a writing session's own changes, not yet written
    return integer_rows(session, _GROUPED, {"part_ids": list(part_ids), "skip": list(skip)})


@dataclass(frozen=True, slots=True)
class CountProblem:
    """A row of `spare_count` that differs from the units it counts."""

    part_id: int
    warehouse_id: int
    status: str
    genuine: bool
    counted: int
    units: int


def verify(session: Session) -> list[CountProblem]:
    """Every (part, warehouse, status, genuine) whose `spare_count` differs from the units
    booked there (a missing row counts as 0); this transaction's pending changes included."""
    apply(session)
    conn = session.connection()
    units_t, counts_t = SpareUnit.__table__, SpareCount.__table__  # type: ignore[attr-defined]
    keys = (units_t.c.part_id, units_t.c.warehouse_id, units_t.c.status, units_t.c.genuine)
    actual: dict[CountKey, int] = {
        (p, w, s, bool(g)): n
        for p, w, s, g, n in conn.execute(
            sa_select(*keys, func.count())
            .where(units_t.c.warehouse_id.is_not(None))
            .group_by(*keys)
        )
    }
    counted: dict[CountKey, int] = {
        (p, w, s, bool(g)): n
        for p, w, s, g, n in conn.execute(
            sa_select(
                counts_t.c.part_id,
                counts_t.c.warehouse_id,
                counts_t.c.status,
                counts_t.c.genuine,
                counts_t.c.units,
            )
        )
    }
    return [
        CountProblem(*key, counted.get(key, 0), actual.get(key, 0))
        for key in sorted(actual.keys() | counted.keys())
        if counted.get(key, 0) != actual.get(key, 0)
    ]
