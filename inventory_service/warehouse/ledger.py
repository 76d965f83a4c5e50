"""The ledger replay: every spare unit's movements chain to its current state.

Rules that always hold here:
- Each unit's rows chain (the first starts from nothing, each next one starts where the
  previous ended) and its last row equals its current status and warehouse.
- The replay streams units and movements side by side in id order (constant memory at any
  size) and reads columns, not entities, so it sees the database rather than the session's
  objects. It never writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Final

from sqlalchemy import select as sa_select
from sqlmodel import Session, func, select

from models import Movement, SpareUnit

_STREAM: Final = 10_000  # rows fetched at a time by the replay


@dataclass(frozen=True, slots=True)
class LedgerProblem:
    """A unit whose ledger does not replay to its current state."""

    spare_id: int
    serial: str
    reason: str


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    units: int
    movements: int


def totals(session: Session) -> LedgerTotals:
    """How many units and ledger rows there are (for the replay's summary)."""
    units = session.exec(select(func.count()).select_from(SpareUnit)).one()
    rows = session.exec(select(func.count()).select_from(Movement)).one()
    return LedgerTotals(units=units, movements=rows)


def _chain_problems(
    spare_id: int, serial: str, rows: Iterable[Any]
) -> tuple[list[LedgerProblem], tuple[str, int | None] | None]:
    """One unit's ledger rows, oldest first: where the chain breaks, and where it ends."""
    problems: list[LedgerProblem] = []
    prev: Any = None
    for m in rows:
        if prev is None and m.from_status is not None:
            problems.append(
                LedgerProblem(spare_id, serial, f"first row {m.id} starts from {m.from_status}")
            )
        elif prev is not None and (m.from_status, m.from_warehouse_id) != (
            prev.to_status,
            prev.to_warehouse_id,
        ):
            problems.append(
                LedgerProblem(
                    spare_id,
                    serial,
                    f"row {m.id} starts from {m.from_status}@{m.from_warehouse_id}, "
                    f"row {prev.id} ended at {prev.to_status}@{prev.to_warehouse_id}",
                )
            )
        prev = m
    return problems, None if prev is None else (prev.to_status, prev.to_warehouse_id)


def verify(session: Session) -> list[LedgerProblem]:
    """Replay the ledger; every unit whose rows do not chain to its current state, with why.

    Streams units and movements side by side in id order (constant memory at any size) and
    reads columns, not entities, so it sees the database rather than the session's objects.
    """
    units_t, moves_t = SpareUnit.__table__, Movement.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    units = conn.execute(
        sa_select(units_t.c.id, units_t.c.serial, units_t.c.status, units_t.c.warehouse_id)
        .order_by(units_t.c.id)
        .execution_options(yield_per=_STREAM)
    )
    moves = conn.execute(
        sa_select(
            moves_t.c.spare_id,
            moves_t.c.id,
            moves_t.c.from_status,
            moves_t.c.to_status,
            moves_t.c.from_warehouse_id,
            moves_t.c.to_warehouse_id,
        )
        .order_by(moves_t.c.spare_id, moves_t.c.id)
        .execution_options(yield_per=_STREAM)
    )
    groups = groupby(moves, key=lambda m: int(m.spare_id))
    group = next(groups, None)
    problems: list[LedgerProblem] = []
    for unit in units:
        # Movements always belong to a unit (foreign key), so groups never run ahead for long.
        while group is not None and group[0] < unit.id:
            group = next(groups, None)
        rows: Iterable[Any] = group[1] if group is not None and group[0] == unit.id else ()
        found, end = _chain_problems(unit.id, unit.serial, rows)
        problems += found
        if end is None:
            problems.append(LedgerProblem(unit.id, unit.serial, "no ledger rows"))
        elif end != (unit.status, unit.warehouse_id):
            problems.append(
                LedgerProblem(
                    unit.id,
                    unit.serial,
                    f"unit is {unit.status}@{unit.warehouse_id}, ledger ends at {end[0]}@{end[1]}",
                )
            )
    return problems
