"""The parts catalogue and the contract's substitution rule.

Rules: a spare of part Q may replace a component of part P when Q is P; or when Q is one of
P's approved alternates (`part_alternate`: a documented approval, one way only); or when Q
has P's vendor and category and meets every spec of P — a numeric spec of Q is >= P's, a text
spec is equal, a spec missing from Q (or of the other type) fails. Another vendor's part is
never a substitute unless it is an approved alternate (the contract asks for the original
manufacturer's parts, 原厂商配件). Vendors compare without case or surrounding blanks. Within a
category a spec keeps one type (number or text), so that the rule can always compare. Part
numbers are unique. `refusal` is the rule, and the only place it is written: every caller
(availability, reservations, replacements, the customer's spares scope, coverage, GraphQL)
asks it through `may_substitute`, `part_may_replace`, `substitutes_of` or reachability's
`part_set`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import Conflict, NotFound, ValidationFailed
from inventory_service.platform.pagination import Page, paginate
from models import Component, Device, Part, PartAlternate, Site, bounds
from models.part import AlternateCreate, AlternateRead, PartCreate, PartRead

SpecValue = float | int | str
Specs = Mapping[str, SpecValue]
NUMBER: Final = "number"
TEXT: Final = "text"
# Why a part may not replace another, in the order availability reports them.
OTHER_VENDOR: Final = "other_vendor"
SPEC_LOWER: Final = "spec_lower"


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


@dataclass(frozen=True, slots=True)
class PartFacts:
    """What the rule reads of a part (hashable, so that callers may cache its answers)."""

    part_number: str
    vendor: str
    category: str
    specs: tuple[tuple[str, SpecValue], ...]
    # Part numbers approved to replace this part.
    alternates: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        part_number: str,
        vendor: str,
        category: str,
        specs: Specs,
        alternates: Collection[str] = (),
    ) -> PartFacts:
        return cls(
            part_number, vendor, category, tuple(sorted(specs.items())), frozenset(alternates)
        )

    @classmethod
    def of_part(cls, part: Part, alternates: Collection[str] = ()) -> PartFacts:
        return cls.of(part.part_number, part.vendor, part.category, part.specs, alternates)


def same_vendor(a: str, b: str) -> bool:
    """Vendors compare without case or surrounding blanks ("Huawei" is "HUAWEI ")."""
    return a.strip().casefold() == b.strip().casefold()


def refusal(original: PartFacts, candidate: PartFacts) -> str | None:
    """The contract's substitution rule: None when the candidate may replace the original,
    else why not (`other_vendor`, then `spec_lower` for another category or a lower spec)."""
    if candidate.part_number == original.part_number:
        return None
    if candidate.part_number in original.alternates:
        return None
    if not same_vendor(candidate.vendor, original.vendor):
        return OTHER_VENDOR
    if candidate.category != original.category:
        return SPEC_LOWER
    offered = dict(candidate.specs)
    if all(meets_spec(v, offered.get(k)) for k, v in original.specs):
        return None
    return SPEC_LOWER


def may_substitute(original: PartFacts, candidate: PartFacts) -> bool:
    """May the candidate part replace the original part (the contract's rule)?"""
    return refusal(original, candidate) is None


def alternate_numbers(session: Session, part_ids: Collection[int]) -> dict[int, frozenset[str]]:
    """For each part id, the part numbers approved to replace it (one query)."""
    found: dict[int, set[str]] = defaultdict(set)
    if part_ids:
        for pid, number in session.exec(
            select(PartAlternate.part_id, Part.part_number)
            .join(Part, col(Part.id) == col(PartAlternate.alternate_part_id))
            .where(col(PartAlternate.part_id).in_(set(part_ids)))
        ).all():
            found[pid].add(number)
    return {pid: frozenset(numbers) for pid, numbers in found.items()}


def facts(session: Session, part: Part) -> PartFacts:
    """The rule's view of one catalogue part, with its approved alternates."""
    assert part.id is not None
    return PartFacts.of_part(part, alternate_numbers(session, [part.id]).get(part.id, ()))


def part_may_replace(session: Session, original: Part, candidate: Part) -> bool:
    """`may_substitute` for two catalogue parts."""
    return may_substitute(facts(session, original), PartFacts.of_part(candidate))


def substitutes_of(session: Session, parts: Sequence[Part]) -> dict[int, list[Part]]:
    """For each part, every catalogue part that may replace it: itself first, then by number.

    The pool is the parts' categories and their approved alternates, read in two queries."""
    ids = [p.id for p in parts if p.id is not None]
    if not ids:
        return {}
    alternates = alternate_numbers(session, ids)
    categories = {p.category for p in parts}
    wanted = set().union(*alternates.values()) if alternates else set()
    pool = session.exec(
        select(Part)
        .where(or_(col(Part.category).in_(categories), col(Part.part_number).in_(wanted)))
        .order_by(col(Part.part_number))
    ).all()
    answer: dict[int, list[Part]] = {}
    for part in parts:
        assert part.id is not None
        mine = PartFacts.of_part(part, alternates.get(part.id, ()))
        others = [q for q in pool if q.id != part.id and may_substitute(mine, PartFacts.of_part(q))]
        answer[part.id] = [part, *others]
    return answer


def customer_part_ids(session: Session, *, customer_id: int | None) -> set[int]:
    """A customer's spares scope: parts installed in its devices and their substitutes."""
    installed = session.exec(
        select(Part)
        .where(
            col(Part.id).in_(
                select(Component.part_id)
                .join(Device, col(Device.id) == col(Component.device_id))
                .join(Site, col(Site.id) == col(Device.site_id))
                .where(Site.customer_id == customer_id)
            )
        )
        .order_by(col(Part.id))
    ).all()
    return {q.id for found in substitutes_of(session, installed).values() for q in found if q.id}


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


@dataclass(frozen=True, slots=True)
class PartFilter:
    """The filters of the parts catalogue (None: any)."""

    category: bounds.ShortFilter = None
    vendor: bounds.ShortFilter = None
    part_number: bounds.CodeFilter = None


def list_parts(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    filters: PartFilter,
) -> Page[PartRead]:
    """Catalogue parts, filtered by category, vendor or number."""
    stmt = select(Part)
    if filters.category is not None:
        stmt = stmt.where(Part.category == filters.category)
    if filters.vendor is not None:
        stmt = stmt.where(Part.vendor == filters.vendor)
    if filters.part_number is not None:
        stmt = stmt.where(Part.part_number == filters.part_number)
    page = paginate(session, stmt, id_column=Part.id, limit=limit, cursor=cursor)
    return Page(items=read_parts(session, page.items), next_cursor=page.next_cursor)


def substitutes(session: Session, *, part: Part) -> list[Part]:
    """Every catalogue part that may replace `part`, itself first, then by part number."""
    assert part.id is not None
    return substitutes_of(session, [part])[part.id]


def replaceable_by(session: Session, *, part: Part) -> list[Part]:
    """Every catalogue part that `part` may replace (the reverse of `substitutes`)."""
    assert part.id is not None
    approving = select(PartAlternate.part_id).where(PartAlternate.alternate_part_id == part.id)
    pool = session.exec(
        select(Part)
        .where(or_(col(Part.category) == part.category, col(Part.id).in_(approving)))
        .order_by(col(Part.part_number))
    ).all()
    alternates = alternate_numbers(session, [p.id for p in pool if p.id is not None])
    mine = PartFacts.of_part(part)
    return [
        p
        for p in pool
        if p.id is not None and may_substitute(PartFacts.of_part(p, alternates.get(p.id, ())), mine)
    ]


# --- approved alternates ---------------------------------------------------------------------


def read_parts(session: Session, parts: Sequence[Part]) -> list[PartRead]:
    """Parts as the API shows them, each with its approved alternates (one query)."""
    ids = [p.id for p in parts if p.id is not None]
    listed: dict[int, list[AlternateRead]] = defaultdict(list)
    if ids:
        for pid, number, document in session.exec(
            select(PartAlternate.part_id, Part.part_number, PartAlternate.document)
            .join(Part, col(Part.id) == col(PartAlternate.alternate_part_id))
            .where(col(PartAlternate.part_id).in_(ids))
            .order_by(col(Part.part_number))
        ).all():
            listed[pid].append(AlternateRead(part_number=number, document=document))
    return [
        PartRead.model_validate(p).model_copy(update={"alternates": listed.get(p.id or 0, [])})
        for p in parts
    ]


def read_part(session: Session, part: Part) -> PartRead:
    """One part as the API shows it (with its alternates)."""
    return read_parts(session, [part])[0]


def add_alternate(
    session: Session, *, actor: Caller, part_number: str, data: AlternateCreate
) -> Part:
    """Approve part Q (`data.part_number`) to replace part P, on a written approval."""
    part = get_part(session, part_number=part_number)
    if data.part_number == part.part_number:
        raise ValidationFailed.field("part_number", "a part is not its own alternate")
    alternate = session.exec(select(Part).where(Part.part_number == data.part_number)).first()
    if alternate is None:
        raise ValidationFailed.field("part_number", f"unknown part {data.part_number!r}")
    assert part.id is not None
    assert alternate.id is not None
    twice = Conflict(
        f"{data.part_number} is already an approved alternate of {part.part_number}",
        details=[{"field": "part_number", "reason": "already an approved alternate"}],
    )
    if session.exec(
        select(PartAlternate.id).where(
            PartAlternate.part_id == part.id, PartAlternate.alternate_part_id == alternate.id
        )
    ).first():
        raise twice
    session.add(
        PartAlternate(
            part_id=part.id,
            alternate_part_id=alternate.id,
            document=data.document,
            actor=actor.actor,
        )
    )
    flush_or_conflict(session, twice)
    return part


def remove_alternate(
    session: Session, *, actor: Caller, part_number: str, alternate_number: str
) -> None:
    """Withdraw an approval: Q no longer replaces P (unless the rule allows it anyway)."""
    part = get_part(session, part_number=part_number)
    alternate_id = select(Part.id).where(Part.part_number == alternate_number).scalar_subquery()
    removed = session.execute(
        delete(PartAlternate).where(
            col(PartAlternate.part_id) == part.id,
            col(PartAlternate.alternate_part_id) == alternate_id,
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"{alternate_number!r} is not an approved alternate of {part_number!r}")
