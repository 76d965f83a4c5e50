"""Reachability: can a genuine replacement reach this site by the deadline, and why (not).

Rules that always hold here:
- Units considered for (site S, part P): every unit of P or of a part in P's category that a
  warehouse holds or has out on a reservation (warehouse set, status neither `installed` nor
  `scrapped`). A candidate is genuine, `available`, of a part that may replace P (the
  catalogue's rule), and its ETA is at most the deadline. Every other considered unit is
  rejected once, for the first failing reason of `REJECTION_REASONS`.
- ETA, distance and band of a warehouse for a site are `legs.leg` (its rules there); bands
  compare the unrounded distance; `distance_km` is rounded to 0.1 km for display only.
- Best = smallest ETA, then exact part before substitute, then earliest receipt, then id.
  Rejected are shown nearest first (unrounded distance, then spare id).
- Counts are complete: they are read from `spare_count` (units per part, warehouse, status
  and genuine, kept by `stock.transition` through `counts` in the transaction of every unit
  change, so exact at any commit on any replica); units are fetched only for the `limit`
  shown on each list.
  Nothing is scanned unit by unit in Python.
- A customer caller may ask only about its own customer's sites and devices (others 404).
- Queries never write. Per-process caches (legs and the warehouse table: see `legs`;
  substitution decisions keyed by a category's part numbers and specs) can never be stale.
  Unit counts are never cached: every answer reads the stock as it is.
- Bands are decided without the geodesic when a cheap bracket of it (`geo.distance_bounds_km`)
  lies inside one band; the geodesic is computed for the rest, and for every warehouse
  whose units are shown (their `distance_km`) or whose place in "nearest first" is at stake.

For the reservation lifecycle:
- `candidate_spare_ids(session, *, site: Site, part: Part, deadline_minutes: int,
  limit: int | None = None) -> list[int]`: the candidates' ids in best order; lock them in
  that order (PostgreSQL `FOR UPDATE SKIP LOCKED`) and re-check each locked row.
- `unit_leg(session, *, site: Site, spare: SpareUnit) -> Leg`: distance, band and ETA of one
  unit's warehouse for a site (`eta_minutes` is None when beyond the last band).
- `resolve_site(...)`, `resolve_part(...)` and `deadline_or_default(...)` validate inputs
  exactly as `GET /availability` does.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, case, false, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service import policy
from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import NotFound, ValidationFailed
from inventory_service.platform.pagination import DEFAULT_LIMIT, check_limit
from inventory_service.platform.settings import get_settings
from inventory_service.reach import legs
from inventory_service.reach.legs import Leg, Reach, site_legs
from inventory_service.reach.part_sets import PartSet, part_set
from inventory_service.warehouse import catalogue, counts
from models import Component, Device, Part, Site, SpareUnit, UnitStatus
from models.reachability import (
    REJECTION_REASONS,
    AvailabilityRead,
    CandidateRead,
    RejectedRead,
)

MAX_DEADLINE_MINUTES: Final = 7 * 24 * 60
NOT_CONSIDERED: Final = (UnitStatus.INSTALLED.value, UnitStatus.SCRAPPED.value)
AVAILABLE: Final = UnitStatus.AVAILABLE.value


# --- inputs ----------------------------------------------------------------------------------


def deadline_or_default(deadline_minutes: int | None) -> int:
    """The deadline to apply: the given one (1..10080 minutes) or the configured default."""
    if deadline_minutes is None:
        return get_settings().deadline_minutes
    if not 1 <= deadline_minutes <= MAX_DEADLINE_MINUTES:
        raise ValidationFailed.field(
            "deadline_minutes", f"must be between 1 and {MAX_DEADLINE_MINUTES}"
        )
    return deadline_minutes


def resolve_site(session: Session, *, actor: Caller, site_code: str) -> Site:
    """The site, if the caller may see it (404 otherwise)."""
    return places.get_site(session, actor=actor, code=site_code)


def resolve_part(session: Session, *, part_number: str) -> Part:
    """The catalogue part (404 when unknown)."""
    return catalogue.get_part(session, part_number=part_number)


def resolve_device_slot(
    session: Session, *, actor: Caller, device_id: int, slot: str
) -> tuple[Site, Part]:
    """Site and part of the component in a device's slot (404 for an unknown or foreign one)."""
    row = session.execute(
        sa_select(col(Device.site_id), col(Site.customer_id))
        .join(Site, col(Site.id) == col(Device.site_id))
        .where(col(Device.id) == device_id)
    ).first()
    if row is None or not policy.owns(actor, row[1]):
        raise NotFound(f"device {device_id} not found")
    part_id = session.execute(
        sa_select(col(Component.part_id)).where(
            col(Component.device_id) == device_id, col(Component.slot) == slot
        )
    ).scalar()
    if part_id is None:
        raise NotFound(f"device {device_id} has no component in slot {slot!r}")
    site = session.get(Site, row[0])
    part = session.get(Part, part_id)
    assert site is not None
    assert part is not None
    return site, part


# --- the answer ------------------------------------------------------------------------------


def _reason(
    genuine: bool, status: str, part_ok: bool, travel: Leg | Reach, deadline: int
) -> str | None:
    """The first failing reason of a unit, or None for a candidate."""
    if not genuine:
        return "not_genuine"
    if status != AVAILABLE:
        return "not_available"
    if not part_ok:
        return "spec_lower"
    if travel.eta_minutes is None:
        return "not_covered"
    if travel.eta_minutes > deadline:
        return "too_far"
    return None


def _refusal(parts: PartSet, part_id: int) -> str | None:
    """Why a unit of this part may not replace P (None: it may)."""
    return None if part_id in parts.allowed else "spec_lower"


_CANDIDATE: Final = len(REJECTION_REASONS)  # the reason code of a candidate


@dataclass(slots=True)
class _Plan:
    parts: PartSet
    deadline: int
    legs: legs.SiteLegs
    candidate_count: int
    candidate_warehouses: npt.NDArray[np.int64]  # units per warehouse position
    rejected_by_warehouse: npt.NDArray[np.int64]
    rejected_counts: dict[str, int]


def _plan(session: Session, site: Site, part: Part, deadline: int) -> _Plan:
    parts = part_set(session, part)
    groups = counts.grouped(session, sorted(parts.numbers), skip=NOT_CONSIDERED)
    site_legs_ = site_legs(session, site)
    stops = site_legs_.stops
    wpos = stops.positions(groups[:, 0])
    pids, genuine, available, units = groups[:, 1], groups[:, 2], groups[:, 3], groups[:, 4]
    # The part's own verdict per row (parts of the set, by id: a small lookup table).
    set_ids = np.array(sorted(parts.numbers), dtype=np.int64)
    verdicts = np.array(
        [
            _CANDIDATE if (why := _refusal(parts, int(p))) is None else REJECTION_REASONS.index(why)
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
    return _Plan(
        parts,
        deadline,
        site_legs_,
        int(totals[_CANDIDATE]),
        np.bincount(wpos[chosen], weights=units[chosen], minlength=n).astype(np.int64),
        np.bincount(wpos[~chosen], weights=units[~chosen], minlength=n).astype(np.int64),
        {name: int(totals[i]) for i, name in enumerate(REJECTION_REASONS)},
    )


def _candidate_condition(parts: PartSet) -> list[ColumnElement[bool]]:
    return [
        col(SpareUnit.part_id).in_(sorted(parts.allowed)),
        col(SpareUnit.status) == AVAILABLE,
        col(SpareUnit.genuine).is_(True),
    ]


def _ranked(wids_by_rank: list[list[int]]) -> tuple[list[int], ColumnElement[Any]]:
    """The warehouses of consecutive ranks and an ORDER BY term giving each one its rank."""
    ranks = {wid: rank for rank, wids in enumerate(wids_by_rank) for wid in wids}
    return sorted(ranks), case(ranks, value=col(SpareUnit.warehouse_id))


def _tiers(plan: _Plan) -> list[tuple[list[int], int]]:
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


def _candidate_rows(session: Session, plan: _Plan, limit: int) -> list[tuple[int, ...]]:
    """(id, serial, part_id, warehouse_id) of candidates in best order, at most `limit`: the
    fewest ETA tiers that hold `limit` units, in one query (more if rows went meanwhile)."""
    exact_first = case((col(SpareUnit.part_id) == plan.parts.exact_id, 0), else_=1)
    tiers = _tiers(plan)
    out: list[tuple[int, ...]] = []
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
            )
            .where(col(SpareUnit.warehouse_id).in_(wids), *_candidate_condition(plan.parts))
            .order_by(rank, exact_first, col(SpareUnit.received_at), col(SpareUnit.id))
            .limit(wanted)
        )
        out.extend(tuple(r) for r in session.execute(stmt).all())
    return out


def _rows_by_eta(
    session: Session, parts: PartSet, by_eta: dict[int, list[int]], limit: int | None
) -> list[tuple[int, ...]]:
    """Candidates of the warehouses grouped by ETA, best tier first, at most `limit`."""
    exact_first = case((col(SpareUnit.part_id) == parts.exact_id, 0), else_=1)
    out: list[tuple[int, ...]] = []
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
            )
            .where(col(SpareUnit.warehouse_id).in_(sorted(by_eta[eta])))
            .where(*_candidate_condition(parts))
            .order_by(exact_first, col(SpareUnit.received_at), col(SpareUnit.id))
        )
        if remaining is not None:
            stmt = stmt.limit(remaining)
        out.extend(tuple(r) for r in session.execute(stmt).all())
    return out


def _nearest_first(plan: _Plan) -> Iterator[list[int]]:
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


def _rejected_rows(session: Session, plan: _Plan, limit: int) -> list[tuple[int, ...]]:
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
                not_(and_(*_candidate_condition(plan.parts))),
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


def _shown_km(km: float) -> float:
    return round(km, 1)


def _answer(
    session: Session, site: Site, part: Part, deadline: int, limit: int
) -> AvailabilityRead:
    plan = _plan(session, site, part, deadline)
    at, codes = plan.legs.stops.position, plan.legs.stops.codes
    candidates = []
    for sid, serial, pid, wid in _candidate_rows(session, plan, limit):
        pos = int(at[wid])
        band, eta = plan.legs.band_minutes(pos), plan.legs.eta_minutes(pos)
        assert band is not None
        assert eta is not None
        candidates.append(
            CandidateRead(
                spare_id=sid,
                serial=serial,
                part_number=plan.parts.numbers[pid],
                substitute=pid != plan.parts.exact_id,
                warehouse_code=codes[pos],
                distance_km=_shown_km(plan.legs.exact(pos)),
                band_minutes=band,
                eta_minutes=eta,
            )
        )
    rejected = []
    for sid, pid, wid, genuine, status in _rejected_rows(session, plan, limit):
        pos = int(at[wid])
        travel = Leg(plan.legs.exact(pos), None, plan.legs.eta_minutes(pos))
        reason = _reason(bool(genuine), str(status), pid in plan.parts.allowed, travel, deadline)
        assert reason is not None
        rejected.append(
            RejectedRead(
                spare_id=sid,
                part_number=plan.parts.numbers[pid],
                warehouse_code=codes[pos],
                reason=reason,
                distance_km=_shown_km(travel.distance_km),
                eta_minutes=travel.eta_minutes if reason == "too_far" else None,
            )
        )
    return AvailabilityRead(
        site_code=site.code,
        part_number=part.part_number,
        deadline_minutes=deadline,
        reachable=plan.candidate_count > 0,
        best=candidates[0] if candidates else None,
        candidates=candidates,
        rejected=rejected,
        candidate_count=plan.candidate_count,
        rejected_counts=plan.rejected_counts,
    )


def availability(
    session: Session,
    *,
    actor: Caller,
    site_code: str | None = None,
    part_number: str | None = None,
    device_id: int | None = None,
    slot: str | None = None,
    deadline_minutes: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> AvailabilityRead:
    """Can a genuine replacement reach the site by the deadline: best, candidates, rejected."""
    by_site = site_code is not None or part_number is not None
    by_device = device_id is not None or slot is not None
    problems = []
    if by_site and by_device:
        problems.append(
            {
                "field": "device_id",
                "reason": "give site_code and part_number, or device_id and slot",
            }
        )
    elif by_device:
        problems += [
            {"field": name, "reason": "required with device_id or slot"}
            for name, value in (("device_id", device_id), ("slot", slot))
            if value is None
        ]
    else:
        problems += [
            {"field": name, "reason": "required (or give device_id and slot)"}
            for name, value in (("site_code", site_code), ("part_number", part_number))
            if value is None
        ]
    if problems:
        raise ValidationFailed("say which site and part", details=problems)
    deadline = deadline_or_default(deadline_minutes)
    check_limit(limit)
    if device_id is not None and slot is not None:
        site, part = resolve_device_slot(session, actor=actor, device_id=device_id, slot=slot)
    else:
        assert site_code is not None
        assert part_number is not None
        site = resolve_site(session, actor=actor, site_code=site_code)
        part = resolve_part(session, part_number=part_number)
    return _answer(session, site, part, deadline, limit)


def candidate_spare_ids(
    session: Session, *, site: Site, part: Part, deadline_minutes: int, limit: int | None = None
) -> list[int]:
    """Ids of the candidate units for (site, part, deadline), best first.

    Reservations call this on every attempt, so it skips the counts availability shows: the
    warehouses are tiered by ETA in Python and each tier is asked for its best units, nearest
    tier first, until `limit` are found (the same order as availability's candidates).
    """
    parts = part_set(session, part)
    site_legs_ = site_legs(session, site)
    site_legs_.settle(np.arange(len(site_legs_.stops.ids), dtype=np.int64))
    eta, ids = site_legs_.eta, site_legs_.stops.ids
    reached = np.flatnonzero((eta != legs.NONE) & (eta <= deadline_minutes))
    by_eta: dict[int, list[int]] = defaultdict(list)
    for pos in reached:
        by_eta[int(eta[pos])].append(int(ids[pos]))
    return [row[0] for row in _rows_by_eta(session, parts, by_eta, limit)]


def unit_leg(session: Session, *, site: Site, spare: SpareUnit) -> Leg:
    """Distance, band and ETA from the unit's warehouse to the site."""
    if spare.warehouse_id is None:
        raise NotFound(f"spare {spare.id} is in no warehouse")
    site_legs_ = site_legs(session, site)
    pos = int(site_legs_.stops.position[spare.warehouse_id])
    return Leg(site_legs_.exact(pos), site_legs_.band_minutes(pos), site_legs_.eta_minutes(pos))
