"""A part's pool as reachability and coverage see it: which parts may replace it, and why not.

Rules that always hold here: the pool of P is P's category and P's approved alternates; the
substitution rule is the catalogue's (`catalogue.refusal`, the reason behind
`may_substitute`): `other_vendor` or `spec_lower` names why a part may not replace P. Its
results are cached per process keyed by the pool's part numbers, vendors, categories and
specs and P's alternates, so a cached decision can never be stale. The part itself is always
in its own set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import ColumnElement, ScalarSelect, Select, bindparam, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service.warehouse import catalogue
from models import Part, PartAlternate


@dataclass(frozen=True, slots=True)
class PartSet:
    """The parts whose units are considered for P (P's category and P's approved alternates):
    which may replace P (exact first), why each other one may not, and their numbers."""

    exact_id: int
    allowed: frozenset[int]
    refused: dict[int, str]  # part id → `other_vendor` or `spec_lower`
    numbers: dict[int, str]


@lru_cache(maxsize=4096)
def _verdicts(
    original: catalogue.PartFacts, pool: tuple[tuple[int, catalogue.PartFacts], ...]
) -> tuple[tuple[int, str | None], ...]:
    return tuple((pid, catalogue.refusal(original, facts)) for pid, facts in pool)


def _pool_statement(
    asked: ColumnElement[int], category: ColumnElement[str]
) -> Select[*tuple[Any, ...]]:
    """P's pool (its category and its approved alternates) with which of them is an alternate,
    P given by its id and category as SQL expressions."""
    approved = (col(PartAlternate.part_id) == asked) & (
        col(PartAlternate.alternate_part_id) == col(Part.id)
    )
    return (
        sa_select(
            col(Part.id),
            col(Part.part_number),
            col(Part.vendor),
            col(Part.category),
            col(Part.specs),
            col(PartAlternate.id).is_not(None),
        )
        .outerjoin(PartAlternate, approved)
        .where(or_(col(Part.category) == category, col(PartAlternate.id).is_not(None)))
    )


def _asked(column: Any) -> ScalarSelect[Any]:
    return (
        sa_select(column).where(col(Part.part_number) == bindparam("part_number")).scalar_subquery()
    )


# P by its number, in the same statement as its pool: an answer's part is one round trip.
_POOL_BY_NUMBER: Final = _pool_statement(_asked(col(Part.id)), _asked(col(Part.category)))


def _of(exact_id: int, rows: Sequence[Sequence[Any]]) -> PartSet:
    pool = tuple(
        sorted(
            (pid, catalogue.PartFacts.of(number, vendor, category, specs))
            for pid, number, vendor, category, specs, _ in rows
        )
    )
    alternates = {number for _, number, _, _, _, is_alternate in rows if is_alternate}
    asked = dict(pool)[exact_id]
    verdicts = _verdicts(replace(asked, alternates=frozenset(alternates)), pool)
    return PartSet(
        exact_id,
        frozenset(pid for pid, why in verdicts if why is None) | {exact_id},
        {pid: why for pid, why in verdicts if why is not None and pid != exact_id},
        {pid: facts.part_number for pid, facts in pool},
    )


def part_set(session: Session, part: Part) -> PartSet:
    """The substitution rule applied to P's pool (rule results cached by content)."""
    assert part.id is not None
    rows = session.execute(_pool_statement(literal(part.id), literal(part.category))).all()
    return _of(part.id, rows)


def part_set_by_number(session: Session, part_number: str) -> PartSet | None:
    """`part_set` of the part with this number (None: no such part), in one statement."""
    rows = session.execute(_POOL_BY_NUMBER, {"part_number": part_number}).all()
    exact = [pid for pid, number, *_ in rows if number == part_number]
    return _of(exact[0], rows) if exact else None
