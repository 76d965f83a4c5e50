"""A part's pool as reachability and coverage see it: which parts may replace it, and why not.

Rules that always hold here: the pool of P is P's category and P's approved alternates; the
substitution rule is the catalogue's (`catalogue.refusal`, the reason behind
`may_substitute`): `other_vendor` or `spec_lower` names why a part may not replace P. Its
results are cached per process keyed by the pool's part numbers, vendors, categories and
specs and P's alternates, so a cached decision can never be stale. The part itself is always
in its own set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import or_
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


def part_set(session: Session, part: Part) -> PartSet:
    """The substitution rule applied to P's pool (rule results cached by content)."""
    approved = (col(PartAlternate.part_id) == part.id) & (
        col(PartAlternate.alternate_part_id) == col(Part.id)
    )
    rows = session.execute(
        sa_select(
            col(Part.id),
            col(Part.part_number),
            col(Part.vendor),
            col(Part.category),
            col(Part.specs),
            col(PartAlternate.id).is_not(None),
        )
        .outerjoin(PartAlternate, approved)
        .where(or_(col(Part.category) == part.category, col(PartAlternate.id).is_not(None)))
    ).all()
    pool = tuple(
        sorted(
            (pid, catalogue.PartFacts.of(number, vendor, category, specs))
            for pid, number, vendor, category, specs, _ in rows
        )
    )
    alternates = {number for _, number, _, _, _, is_alternate in rows if is_alternate}
    assert part.id is not None
    verdicts = _verdicts(catalogue.PartFacts.of_part(part, alternates), pool)
    return PartSet(
        part.id,
        frozenset(pid for pid, why in verdicts if why is None) | {part.id},
        {pid: why for pid, why in verdicts if why is not None and pid != part.id},
        {pid: facts.part_number for pid, facts in pool},
    )
