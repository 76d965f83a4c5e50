"""A part's category as reachability and coverage see it: which parts may replace it.

Rules that always hold here: the substitution rule is the catalogue's (`may_substitute`);
its results are cached per process keyed by the category's part numbers and specs, so a
cached decision can never be stale. The part itself is always in its own set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service.warehouse import catalogue
from models import Part


@dataclass(frozen=True, slots=True)
class PartSet:
    """P's category: which parts may replace P (exact first) and the names of all of them."""

    exact_id: int
    allowed: frozenset[int]
    numbers: dict[int, str]


@lru_cache(maxsize=4096)
def _allowed(
    original: tuple[int, str, str, tuple[tuple[str, float | int | str], ...]],
    category: tuple[tuple[int, str, tuple[tuple[str, float | int | str], ...]], ...],
) -> frozenset[int]:
    pid, number, cat, specs = original
    return frozenset(
        oid
        for oid, onumber, ospecs in category
        if catalogue.may_substitute(number, cat, dict(specs), onumber, cat, dict(ospecs))
    )


def part_set(session: Session, part: Part) -> PartSet:
    """The substitution rule applied to P's category (rule results cached by content)."""
    rows = session.execute(
        sa_select(col(Part.id), col(Part.part_number), col(Part.specs)).where(
            col(Part.category) == part.category
        )
    ).all()
    category = tuple(
        sorted((pid, number, tuple(sorted(specs.items()))) for pid, number, specs in rows)
    )
    assert part.id is not None
    allowed = _allowed(
        (part.id, part.part_number, part.category, tuple(sorted(part.specs.items()))), category
    )
    return PartSet(part.id, allowed | {part.id}, {pid: number for pid, number, _ in category})
