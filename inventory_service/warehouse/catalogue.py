"""The parts catalogue and the contract's substitution rule.

Rules: a spare of part Q may replace a component of part P when Q is P, or when Q has P's
category and meets every spec of P — a numeric spec of Q is >= P's, a text spec is equal, a
spec missing from Q (or of the other type) fails. Within a category a spec keeps one type
(number or text), so that the rule can always compare. Part numbers are unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sqlmodel import Session, col, select

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import Conflict, NotFound, ValidationFailed
from inventory_service.platform.pagination import Page, paginate
from models import Part
from models.part import PartCreate

SpecValue = float | int | str
Specs = Mapping[str, SpecValue]
NUMBER: Final = "number"
TEXT: Final = "text"


def spec_kind(value: SpecValue) -> str:
    """`number` or `text`: the two kinds of spec the rule compares."""
    return TEXT if isinstance(value, str) else NUMBER


def meets_spec(required: SpecValue, offered: SpecValue | None) -> bool:
    """Does `offered` meet `required`? Numbers: >=; text: equal; missing or other kind: no."""
    if offered is None or spec_kind(required) != spec_kind(offered):
        return False
    if isinstance(required, str):
        return offered == required
    assert not isinstance(offered, str)
    return offered >= required


def may_substitute(
    original_number: str,
    original_category: str,
    original_specs: Specs,
    candidate_number: str,
    candidate_category: str,
    candidate_specs: Specs,
) -> bool:
    """The contract's substitution rule: may the candidate part replace the original part?"""
    if candidate_number == original_number:
        return True
    if candidate_category != original_category:
        return False
    return all(meets_spec(v, candidate_specs.get(k)) for k, v in original_specs.items())


def part_may_replace(original: Part, candidate: Part) -> bool:
    """`may_substitute` for two catalogue parts."""
    return may_substitute(
        original.part_number,
        original.category,
        original.specs,
        candidate.part_number,
        candidate.category,
        candidate.specs,
    )


def _check_spec_kinds(session: Session, data: PartCreate) -> None:
    kinds: dict[str, tuple[str, str]] = {}
    for other in session.exec(select(Part).where(Part.category == data.category)).all():
        for name, value in other.specs.items():
            kinds.setdefault(name, (spec_kind(value), other.part_number))
    bad = []
    for name, value in data.specs.items():
        known = kinds.get(name)
        if known is not None and known[0] != spec_kind(value):
            bad.append(
                {
                    "field": f"specs.{name}",
                    "reason": f"must be a {known[0]}, as in {known[1]} of {data.category!r}",
                }
            )
    if bad:
        raise ValidationFailed("a spec has the wrong type for its category", details=bad)


def create_part(session: Session, *, actor: Caller, data: PartCreate) -> Part:
    """Add a part number to the catalogue."""
    exists = Conflict(
        f"part {data.part_number!r} exists already",
        details=[{"field": "part_number", "reason": "already exists"}],
    )
    if session.exec(select(Part.id).where(Part.part_number == data.part_number)).first():
        raise exists
    _check_spec_kinds(session, data)
    part = Part(
        part_number=data.part_number,
        name=data.name,
        vendor=data.vendor,
        category=data.category,
        specs=dict(data.specs),
    )
    session.add(part)
    flush_or_conflict(session, exists)
    return part


def get_part(session: Session, *, part_number: str) -> Part:
    """One part by number (the catalogue is public to every role)."""
    part = session.exec(select(Part).where(Part.part_number == part_number)).first()
    if part is None:
        raise NotFound(f"part {part_number!r} not found")
    return part


def list_parts(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    category: str | None = None,
    vendor: str | None = None,
    part_number: str | None = None,
) -> Page[Part]:
    """Catalogue parts, filtered by category, vendor or number."""
    stmt = select(Part)
    if category is not None:
        stmt = stmt.where(Part.category == category)
    if vendor is not None:
        stmt = stmt.where(Part.vendor == vendor)
    if part_number is not None:
        stmt = stmt.where(Part.part_number == part_number)
    return paginate(session, stmt, id_column=Part.id, limit=limit, cursor=cursor)


def substitutes(session: Session, *, part: Part) -> list[Part]:
    """Every catalogue part that may replace `part`, itself first, then by part number."""
    same_category = session.exec(
        select(Part).where(Part.category == part.category).order_by(col(Part.part_number))
    ).all()
    others = [p for p in same_category if p.id != part.id and part_may_replace(part, p)]
    return [part, *others]


def replaceable_by(session: Session, *, part: Part) -> list[Part]:
    """Every catalogue part that `part` may replace (the reverse of `substitutes`)."""
    same_category = session.exec(
        select(Part).where(Part.category == part.category).order_by(col(Part.part_number))
    ).all()
    return [p for p in same_category if part_may_replace(p, part)]
