"""The units considered for (site S, part P): their counts by reason, and the few shown.

Rules that always hold here:
- Considered: every unit of a part in P's pool (P's category and P's approved alternates,
  `part_sets`) that a warehouse holds or has out on a reservation (status neither
  `installed` nor `scrapped`). A candidate is genuine, `available`, of a part that may
  replace P (`PartSet.refused` names why another part may not: `other_vendor` or
  `spec_lower`, from `catalogue.refusal`) and within the deadline; every other considered
  unit has the first failing reason of `REJECTION_REASONS`.
- Counts are complete: they are read from `spare_count` (units per part, warehouse, status
  and genuine, kept by `stock.transition` through `counts` in the transaction of every unit
  change, so exact at any commit on any replica); units are fetched only for the `limit`
  shown on each list. Nothing is scanned unit by unit in Python.
- Candidates come best first: smallest ETA; among equal ETAs a unit carrying the device's
  firmware (when the question named a device whose firmware is known), then exact part
  before substitute, then earliest receipt, then id. Rejected come nearest first
  (unrounded distance, then spare id).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, case, false, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service.reach import legs
from inventory_service.reach.legs import Leg, Reach
from inventory_service.reach.part_sets import PartSet
from inventory_service.warehouse import counts
from models import SpareUnit, UnitStatus
from models.reachability import REJECTION_REASONS

NOT_CONSIDERED: Final = (UnitStatus.INSTALLED.value, UnitStatus.SCRAPPED.value)
AVAILABLE: Final = UnitStatus.AVAILABLE.value


def reason(
    genuine: bool, status: str, refusal: str | None, travel: Leg | Reach, deadline: int
) -> str | None:
    """The first failing reason of a unit, or None for a candidate."""
    if not genuine:
        return "not_genuine"
    if status != AVAILABLE:
        return "not_available"
    if refusal is not None:
        return refusal
    if travel.eta_minutes is None:
        return "not_covered"
    if travel.eta_minutes > deadline:
        return "too_far"
    return None


def refusal(parts: PartSet, part_id: int) -> str | None:
    """Why a unit of this part may not replace P (None: it may)."""
    return parts.refused.get(part_id)


_CANDIDATE: Final = len(REJECTION_REASONS)  # the reason code of a candidate


@dataclass(slots=True)
class Plan:
    parts: PartSet
    deadline: int
    legs: legs.SiteLegs
    candidate_count: int
    candidate_warehouses: npt.NDArray[np.int64]  # units per warehouse position
    rejected_by_warehouse: npt.NDArray[np.int64]
    rejected_counts: dict[str, int]


def plan(session: Session, site_legs_: legs.SiteLegs, parts: PartSet, deadline: int) -> Plan:
    """The counts of the units considered for (site, P) by reason and by warehouse."""
    groups = counts.grouped(session, sorted(parts.numbers), skip=NOT_CONSIDERED)
    stops = site_legs_.stops
    wpos = stops.positions(groups[:, 0])
    pids, genuine, available, units = groups[:, 1], groups[:, 2], groups[:, 3], groups[:, 4]
    # The part's own verdict per row (parts of the set, by id: a small lookup table).
    set_ids = np.array(sorted(parts.numbers), dtype=np.int64)
    verdicts = np.array(
        [
            _CANDIDATE if (why := refusal(parts, int(p))) is None else REJECTION_REASONS.index(why)
            for p in set_ids
        ],
        dtype=np.int64,
    )
    verdict = verdicts[np.searchsorted(set_ids, pids)] if len(pids) else pids
    eligible = (genuine == 1) & (available == 1) & (verdict == _CANDIDATE)
    site_legs_.settle(np.unique(wpos[eligible]))
    eta = site_legs_.eta[wpos]
    reason = np.select(
        [
            genuine == 0,
            available == 0,
            verdict != _CANDIDATE,
            eta == legs.NONE,
            eta > deadline,
        ],
        [
            REJECTION_REASONS.index("not_genuine"),
            REJECTION_REASONS.index("not_available"),
            verdict,
            REJECTION_REASONS.index("not_covered"),
            REJECTION_REASONS.index("too_far"),
        ],
        default=_CANDIDATE,
    )
    totals = np.bincount(reason, weights=units, minlength=_CANDIDATE + 1).astype(np.int64)
    chosen = reason == _CANDIDATE
    n = len(stops.ids)
    return Plan(
        parts,
        deadline,
        site_legs_,
        int(totals[_CANDIDATE]),
        np.bincount(wpos[chosen], weights=units[chosen], minlength=n).astype(np.int64),
        np.bincount(wpos[~chosen], weights=units[~chosen], minlength=n).astype(np.int64),
        {name: int(totals[i]) for i, name in enumerate(REJECTION_REASONS)},
    )


def candidate_condition(parts: PartSet) -> list[ColumnElement[bool]]:
    return [
        col(SpareUnit.part_id).in_(sorted(parts.allowed)),
        col(SpareUnit.status) == AVAILABLE,
        col(SpareUnit.genuine).is_(True),
    ]


def _ranked(wids_by_rank: list[list[int]]) -> tuple[list[int], ColumnElement[Any]]:
    """The warehouses of consecutive ranks and an ORDER BY term giving each one its rank."""
    ranks = {wid: rank for rank, wids in enumerate(wids_by_rank) for wid in wids}
    return sorted(ranks), case(ranks, value=col(SpareUnit.warehouse_id))


def _tiers(plan: Plan) -> list[tuple[list[int], int]]:
    """Candidate warehouses by ETA, best first, with their candidate units."""
    positions = np.flatnonzero(plan.candidate_warehouses)
    etas = plan.legs.eta[positions]
    ids = plan.legs.stops.ids
    return [
        (
            sorted(int(w) for w in ids[positions[etas == eta]]),
            int(plan.candidate_warehouses[positions[etas == eta]].sum()),
        )
        for eta in np.unique(etas)
    ]


def within_tier(parts: PartSet, firmware: str | None) -> list[Any]:
    """The order of candidates of equal ETA: a unit carrying the device's `firmware` (when
    known) first, then exact part before substitute, then earliest receipt, then id."""
    order: list[Any] = []
    if firmware is not None:
        order.append(case((col(SpareUnit.firmware_version) == firmware, 0), else_=1))
    return [
        *order,
        case((col(SpareUnit.part_id) == parts.exact_id, 0), else_=1),
        col(SpareUnit.received_at),
        col(SpareUnit.id),
    ]


def candidate_rows(
    session: Session, plan: Plan, limit: int, firmware: str | None
) -> list[tuple[Any, ...]]:
    """(id, serial, part_id, warehouse_id, firmware_version) of candidates in best order, at
    most `limit`: the fewest ETA tiers that hold `limit` units, in one query (more if rows
    went meanwhile)."""
    tier_order = within_tier(plan.parts, firmware)
    tiers = _tiers(plan)
    out: list[tuple[Any, ...]] = []
    while tiers and len(out) < limit:
        wanted, taken = limit - len(out), list[tuple[list[int], int]]()
        while tiers and sum(n for _, n in taken) < wanted:
            taken.append(tiers.pop(0))
        wids, rank = _ranked([w for w, _ in taken])
        stmt = (
            sa_select(
                col(SpareUnit.id),
                col(SpareUnit.serial),
                col(SpareUnit.part_id),
                col(SpareUnit.warehouse_id),
                col(SpareUnit.firmware_version),
            )
            .where(col(SpareUnit.warehouse_id).in_(wids), *candidate_condition(plan.parts))
            .order_by(rank, *tier_order)
            .limit(wanted)
        )
        out.extend(tuple(r) for r in session.execute(stmt).all())
    return out


def rows_by_eta(
    session: Session,
    parts: PartSet,
    by_eta: dict[int, list[int]],
    limit: int | None,
    firmware: str | None = None,
) -> list[tuple[Any, ...]]:
    """Candidates of the warehouses grouped by ETA, best tier first, at most `limit`, in the
    order of `within_tier` inside a tier."""
    order = within_tier(parts, firmware)
    out: list[tuple[Any, ...]] = []
    for eta in sorted(by_eta):
        remaining = None if limit is None else limit - len(out)
        if remaining is not None and remaining <= 0:
            break
        stmt = (
            sa_select(
                col(SpareUnit.id),
                col(SpareUnit.serial),
                col(SpareUnit.part_id),
                col(SpareUnit.warehouse_id),
                col(SpareUnit.firmware_version),
            )
            .where(col(SpareUnit.warehouse_id).in_(sorted(by_eta[eta])))
            .where(*candidate_condition(parts))
            .order_by(*order)
        )
        if remaining is not None:
            stmt = stmt.limit(remaining)
        out.extend(tuple(r) for r in session.execute(stmt).all())
    return out


def _nearest_first(plan: Plan) -> Iterator[list[int]]:
    """Positions of warehouses with rejected units, nearest first by exact distance (ties
    together): the bracket's low end orders them until an exact value is needed."""
    site = plan.legs
    positions = np.flatnonzero(plan.rejected_by_warehouse)
    heap = [(float(site.low_km[p]), 0, int(p)) for p in positions]
    heapq.heapify(heap)
    while heap:
        km, exact, pos = heapq.heappop(heap)
        if not exact:
            heapq.heappush(heap, (site.exact(pos), 1, pos))
            continue
        group = [pos]
        while heap and heap[0][:2] == (km, 1):
            group.append(heapq.heappop(heap)[2])
        yield group


def rejected_rows(session: Session, plan: Plan, limit: int) -> list[tuple[int, ...]]:
    """(id, part_id, warehouse_id, genuine, status) of rejected units, nearest first: the
    fewest distance groups that hold `limit` of them, in one query (more if rows went)."""
    ids = plan.legs.stops.ids
    groups = _nearest_first(plan)
    out: list[tuple[int, ...]] = []
    exhausted = False
    while not exhausted and len(out) < limit:
        wanted, taken, held = limit - len(out), list[list[int]](), 0
        while held < wanted:
            group = next(groups, None)
            if group is None:
                exhausted = True
                break
            taken.append(group)
            held += int(plan.rejected_by_warehouse[group].sum())
        if not taken:
            break
        wids, rank = _ranked([[int(ids[p]) for p in group] for group in taken])
        within = [w for w in wids if plan.candidate_warehouses[plan.legs.stops.position[w]]]
        beyond = [w for w in wids if not plan.candidate_warehouses[plan.legs.stops.position[w]]]
        # Where candidates exist, only the non-candidates there are rejected; elsewhere all.
        where = or_(
            col(SpareUnit.warehouse_id).in_(beyond) if beyond else false(),
            and_(
                col(SpareUnit.warehouse_id).in_(within),
                not_(and_(*candidate_condition(plan.parts))),
            )
            if within
            else false(),
        )
        stmt = (
            sa_select(
                col(SpareUnit.id),
                col(SpareUnit.part_id),
                col(SpareUnit.warehouse_id),
                col(SpareUnit.genuine),
                col(SpareUnit.status),
            )
            .where(
                col(SpareUnit.part_id).in_(list(plan.parts.numbers)),
                col(SpareUnit.status).not_in(NOT_CONSIDERED),
                where,
            )
            .order_by(rank, col(SpareUnit.id))
            .limit(wanted)
        )
        out.extend(tuple(r) for r in session.execute(stmt).all())
    return out
