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
- Counts are complete: the database groups the considered units by (part, status, genuine,
  warehouse) (index `ix_spare_unit_part_status`); units are fetched only for the `limit`
  shown on each list. Nothing is scanned unit by unit in Python.
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
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case, false, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from inventory_service import policy
from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import NotFound, ValidationFailed
from inventory_service.platform.pagination import DEFAULT_LIMIT, check_limit
from inventory_service.platform.settings import get_settings
from inventory_service.reach.legs import (
    Leg,
    Reach,
    SitePoint,
    Stop,
    leg,
    load_stops,
    quick_reach,
    site_point,
)
from inventory_service.reach.part_sets import PartSet, part_set
from inventory_service.warehouse import catalogue
from models import Component, Device, Movement, Part, Site, SpareUnit, UnitStatus
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


@dataclass(slots=True)
class _Plan:
    site: SitePoint
    parts: PartSet
    deadline: int
    stops: dict[int, Stop]
    legs: dict[int, Reach]
    candidate_count: int
    candidate_warehouses: dict[int, int]  # warehouse id → candidate units there
    rejected_by_warehouse: dict[int, int]
    rejected_counts: dict[str, int]


# The grouped counts of a category's considered units, cached per process. Every change of a
# unit's status or warehouse writes a ledger row, so the ledger's last id tells whether the
# counts can have changed; a short age limit bounds what PostgreSQL's out-of-order commits
# could hide (a lower id committing after a higher one was seen).
COUNTS_MAX_AGE_SECONDS: Final = 1.0
_counts_cache: dict[tuple[int, ...], tuple[int | None, float, list[Any]]] = {}
_counts_lock = threading.Lock()


def clear_caches() -> None:
    """Forget cached counts: for a database restored or truncated under a running process
    (the ledger-id check assumes the ledger only grows, which the service itself ensures)."""
    with _counts_lock:
        _counts_cache.clear()


def _ledger_mark(session: Session) -> int | None:
    return session.execute(sa_select(func.max(col(Movement.id)))).scalar_one_or_none()


def _grouped_counts(session: Session, parts: PartSet) -> list[Any]:
    # A write session may hold uncommitted rows (and SQLite reuses the ids of rolled-back
    # ones): only read sessions, which see committed rows alone, use and fill the cache.
    cacheable = session.info.get("write") is False
    key = tuple(sorted(parts.numbers))
    mark = _ledger_mark(session) if cacheable else None
    now = time.monotonic()
    with _counts_lock:
        cached = _counts_cache.get(key) if cacheable else None
    if cached is not None and cached[0] == mark and now - cached[1] <= COUNTS_MAX_AGE_SECONDS:
        return cached[2]
    groups = list(
        session.execute(
            sa_select(
                col(SpareUnit.warehouse_id),
                col(SpareUnit.part_id),
                col(SpareUnit.status),
                col(SpareUnit.genuine),
                func.count(),
            )
            .where(
                col(SpareUnit.part_id).in_(list(parts.numbers)),
                col(SpareUnit.status).not_in(NOT_CONSIDERED),
                col(SpareUnit.warehouse_id).is_not(None),
            )
            .group_by(
                col(SpareUnit.part_id),
                col(SpareUnit.status),
                col(SpareUnit.genuine),
                col(SpareUnit.warehouse_id),
            )
        ).all()
    )
    if cacheable:
        with _counts_lock:
            if len(_counts_cache) > 4096:
                _counts_cache.clear()
            _counts_cache[key] = (mark, now, groups)
    return groups


def _plan(session: Session, site: Site, part: Part, deadline: int) -> _Plan:
    parts = part_set(session, part)
    point = site_point(site)
    groups = _grouped_counts(session, parts)
    stops = load_stops(session)
    legs = {wid: quick_reach(point, stops[wid]) for wid in {g[0] for g in groups}}
    counts = dict.fromkeys(REJECTION_REASONS, 0)
    candidate_count = 0
    candidate_wh: dict[int, int] = defaultdict(int)
    rejected_wh: dict[int, int] = defaultdict(int)
    for wid, pid, status, genuine, n in groups:
        reason = _reason(genuine, status, pid in parts.allowed, legs[wid], deadline)
        if reason is None:
            candidate_count += n
            candidate_wh[wid] += n
        else:
            counts[reason] += n
            rejected_wh[wid] += n
    return _Plan(
        point, parts, deadline, stops, legs, candidate_count, candidate_wh, rejected_wh, counts
    )


def _candidate_condition(parts: PartSet) -> list[ColumnElement[bool]]:
    return [
        col(SpareUnit.part_id).in_(sorted(parts.allowed)),
        col(SpareUnit.status) == AVAILABLE,
        col(SpareUnit.genuine).is_(True),
    ]


def _candidate_rows(session: Session, plan: _Plan, limit: int | None) -> list[tuple[int, ...]]:
    """(id, serial, part_id, warehouse_id) of candidates in best order, at most `limit`."""
    by_eta: dict[int, list[int]] = defaultdict(list)
    for wid in plan.candidate_warehouses:
        eta = plan.legs[wid].eta_minutes
        assert eta is not None
        by_eta[eta].append(wid)
    return _rows_by_eta(session, plan.parts, by_eta, limit)


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


def _nearest_first(plan: _Plan, wids: list[int]) -> Iterator[list[int]]:
    """Warehouses nearest first by exact distance (ties together), computing the geodesic
    only for those reached: a bracket's low end orders them until an exact value is needed."""
    heap = [(plan.legs[w].low_km, 0, w) for w in wids]
    heapq.heapify(heap)
    while heap:
        km, exact, wid = heapq.heappop(heap)
        if not exact:
            heapq.heappush(heap, (leg(plan.site, plan.stops[wid]).distance_km, 1, wid))
            continue
        group = [wid]
        while heap and heap[0][:2] == (km, 1):
            group.append(heapq.heappop(heap)[2])
        yield group


def _rejected_rows(session: Session, plan: _Plan, limit: int) -> list[tuple[int, ...]]:
    """(id, part_id, warehouse_id, genuine, status) of rejected units, nearest first."""
    out: list[tuple[int, ...]] = []
    for wids in _nearest_first(plan, list(plan.rejected_by_warehouse)):
        if len(out) >= limit:
            break
        within = [w for w in wids if w in plan.candidate_warehouses]
        beyond = [w for w in wids if w not in plan.candidate_warehouses]
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
            .order_by(col(SpareUnit.id))
            .limit(limit - len(out))
        )
        out.extend(tuple(r) for r in session.execute(stmt).all())
    return out


def _shown_km(km: float) -> float:
    return round(km, 1)


def _answer(
    session: Session, site: Site, part: Part, deadline: int, limit: int
) -> AvailabilityRead:
    plan = _plan(session, site, part, deadline)
    candidates = []
    for sid, serial, pid, wid in _candidate_rows(session, plan, limit):
        travel = leg(plan.site, plan.stops[wid])
        assert travel.band_minutes is not None
        assert travel.eta_minutes is not None
        candidates.append(
            CandidateRead(
                spare_id=sid,
                serial=serial,
                part_number=plan.parts.numbers[pid],
                substitute=pid != plan.parts.exact_id,
                warehouse_code=plan.stops[wid].code,
                distance_km=_shown_km(travel.distance_km),
                band_minutes=travel.band_minutes,
                eta_minutes=travel.eta_minutes,
            )
        )
    rejected = []
    for sid, pid, wid, genuine, status in _rejected_rows(session, plan, limit):
        travel = leg(plan.site, plan.stops[wid])
        reason = _reason(bool(genuine), str(status), pid in plan.parts.allowed, travel, deadline)
        assert reason is not None
        rejected.append(
            RejectedRead(
                spare_id=sid,
                part_number=plan.parts.numbers[pid],
                warehouse_code=plan.stops[wid].code,
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
    point = site_point(site)
    by_eta: dict[int, list[int]] = defaultdict(list)
    for wid, stop in load_stops(session).items():
        eta = quick_reach(point, stop).eta_minutes
        if eta is not None and eta <= deadline_minutes:
            by_eta[eta].append(wid)
    return [row[0] for row in _rows_by_eta(session, parts, by_eta, limit)]


def unit_leg(session: Session, *, site: Site, spare: SpareUnit) -> Leg:
    """Distance, band and ETA from the unit's warehouse to the site."""
    if spare.warehouse_id is None:
        raise NotFound(f"spare {spare.id} is in no warehouse")
    stop = load_stops(session)[spare.warehouse_id]
    return leg(site_point(site), stop)
