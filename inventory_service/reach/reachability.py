"""Reachability: can a genuine replacement reach this site by the deadline, and why (not).

Rules that always hold here:
- The units considered, their counts by reason and the rows shown are `considered` (its
  rules there): candidates are genuine, available units of a part that may replace P (the
  catalogue's rule: another vendor's part only as an approved alternate) within the
  deadline; every other considered unit is rejected once, for its first failing reason.
- ETA, distance and band of a warehouse for a site are `legs` (its rules there); bands
  compare the unrounded distance; `distance_km` is rounded to 0.1 km for display only.
- Best = smallest ETA; among equal ETAs, asked by device and slot, a unit whose firmware is
  the device's first (`firmware_matches` on each candidate); then exact part before
  substitute, then earliest receipt, then id. Rejected are shown nearest first.
- A customer caller may ask only about its own customer's sites and devices, and only about
  parts in its spares scope (installed in its devices, or acceptable substitutes); others 404.
- Queries never write. Per-process caches (legs and the warehouse table: see `legs`;
  substitution decisions keyed by the pool's part numbers, vendors and specs) can never be
  stale. Unit counts are never cached: every answer reads the stock as it is.
- Bands are decided without the geodesic when a cheap bracket of it (`geo.distance_bounds_km`)
  lies inside one band; the geodesic is computed for the rest, and for every warehouse
  whose units are shown (their `distance_km`) or whose place in "nearest first" is at stake.

For the reservation lifecycle:
- `candidate_spare_ids(session, *, site: Site, part: Part, deadline_minutes: int,
  limit: int | None = None, firmware: str | None = None) -> list[int]`: the candidates' ids
  in best order (the device's `firmware` ranks a unit carrying it first within a tier);
  lock them in that order (PostgreSQL `FOR UPDATE SKIP LOCKED`) and re-check each locked row.
- `unit_leg(session, *, site: Site, spare: SpareUnit) -> Leg`: distance, band and ETA of one
  unit's warehouse for a site (`eta_minutes` is None when beyond the last band).
- `resolve_site(...)`, `resolve_part(...)` and `deadline_or_default(...)` validate inputs
  exactly as `GET /availability` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service import policy
from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import NotFound, ValidationFailed
from inventory_service.platform.pagination import DEFAULT_LIMIT, check_limit
from inventory_service.platform.settings import get_settings
from inventory_service.reach import considered, legs
from inventory_service.reach.legs import Leg, site_legs
from inventory_service.reach.part_sets import PartSet, part_set, part_set_by_number
from inventory_service.warehouse import catalogue
from models import Component, Device, Part, Site, SpareUnit
from models.reachability import AvailabilityRead, CandidateRead, RejectedRead

MAX_DEADLINE_MINUTES: Final = 7 * 24 * 60


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
) -> tuple[Site, Part, str | None]:
    """Site, part and the device's firmware for the component in a device's slot (404 for an
    unknown or foreign one)."""
    row = session.execute(
        sa_select(col(Device.site_id), col(Site.customer_id), col(Device.firmware_version))
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
    return site, part, row[2]


# --- the answer ------------------------------------------------------------------------------


def _shown_km(km: float) -> float:
    return round(km, 1)


def firmware_matches(device: str | None, unit: str | None) -> bool | None:
    """Does the unit carry the device's firmware? None when either is unknown."""
    if device is None or unit is None:
        return None
    return device == unit


@dataclass(frozen=True, slots=True)
class AskedDevice:
    """The device an availability question named (by device and slot)."""

    firmware_version: str | None


def _candidates(
    session: Session, plan: considered.Plan, limit: int, device: AskedDevice | None
) -> list[CandidateRead]:
    """The candidates shown, best first (with `firmware_matches` when asked by device)."""
    at, codes = plan.legs.stops.position, plan.legs.stops.codes
    firmware = None if device is None else device.firmware_version
    shown = []
    for sid, serial, pid, wid, unit_firmware in considered.candidate_rows(
        session, plan, limit, firmware
    ):
        pos = int(at[wid])
        band, eta = plan.legs.band_minutes(pos), plan.legs.eta_minutes(pos)
        assert band is not None
        assert eta is not None
        shown.append(
            CandidateRead(
                spare_id=sid,
                serial=serial,
                part_number=plan.parts.numbers[pid],
                substitute=pid != plan.parts.exact_id,
                warehouse_code=codes[pos],
                distance_km=_shown_km(plan.legs.exact(pos)),
                band_minutes=band,
                eta_minutes=eta,
                firmware_matches=None
                if device is None
                else firmware_matches(firmware, unit_firmware),
            )
        )
    return shown


def _rejected(session: Session, plan: considered.Plan, limit: int) -> list[RejectedRead]:
    """The rejected units shown, nearest first, each with its first failing reason."""
    at, codes = plan.legs.stops.position, plan.legs.stops.codes
    shown = []
    for sid, pid, wid, genuine, status in considered.rejected_rows(session, plan, limit):
        pos = int(at[wid])
        travel = Leg(plan.legs.exact(pos), None, plan.legs.eta_minutes(pos))
        reason = considered.reason(
            bool(genuine), str(status), plan.parts.refused.get(pid), travel, plan.deadline
        )
        assert reason is not None
        shown.append(
            RejectedRead(
                spare_id=sid,
                part_number=plan.parts.numbers[pid],
                warehouse_code=codes[pos],
                reason=reason,
                distance_km=_shown_km(travel.distance_km),
                eta_minutes=travel.eta_minutes if reason == "too_far" else None,
            )
        )
    return shown


def _answer(
    session: Session,
    site_code: str,
    site_legs_: legs.SiteLegs,
    parts: PartSet,
    deadline: int,
    limit: int,
    device: AskedDevice | None = None,
) -> AvailabilityRead:
    plan = considered.plan(session, site_legs_, parts, deadline)
    candidates = _candidates(session, plan, limit, device)
    return AvailabilityRead(
        site_code=site_code,
        part_number=parts.numbers[parts.exact_id],
        deadline_minutes=deadline,
        reachable=plan.candidate_count > 0,
        best=candidates[0] if candidates else None,
        candidates=candidates,
        rejected=_rejected(session, plan, limit),
        candidate_count=plan.candidate_count,
        rejected_counts=plan.rejected_counts,
    )


def _site_and_part(
    session: Session, actor: Caller, site_code: str, part_number: str
) -> tuple[legs.FoundSite, PartSet]:
    """The site (if the caller may see it) with its legs, and P's pool: two statements."""
    site = legs.find_site(session, site_code)
    if site is None or not policy.owns(actor, site.customer_id):
        raise NotFound(f"site {site_code!r} not found")
    parts = part_set_by_number(session, part_number)
    if parts is None:
        raise NotFound(f"part {part_number!r} not found")
    if actor.is_customer and parts.exact_id not in catalogue.customer_part_ids(
        session, customer_id=actor.customer_id
    ):
        # As on /spares: a part outside the customer's spares scope does not exist for it.
        raise NotFound(f"part {part_number!r} not found")
    return site, parts


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
        site, part, device_firmware = resolve_device_slot(
            session, actor=actor, device_id=device_id, slot=slot
        )
        return _answer(
            session,
            site.code,
            site_legs(session, site),
            part_set(session, part),
            deadline,
            limit,
            AskedDevice(device_firmware),
        )
    assert site_code is not None
    assert part_number is not None
    found, parts = _site_and_part(session, actor, site_code, part_number)
    return _answer(session, found.code, found.legs, parts, deadline, limit)


def candidate_spare_ids(
    session: Session,
    *,
    site: Site,
    part: Part,
    deadline_minutes: int,
    limit: int | None = None,
    firmware: str | None = None,
) -> list[int]:
    """Ids of the candidate units for (site, part, deadline), best first.

    Reservations call this on every attempt, so it skips the counts availability shows: the
    warehouses are tiered by ETA in Python and each tier is asked for its best units, nearest
    tier first, until `limit` are found (the same order as availability's candidates; with
    the device's `firmware`, a unit carrying it first within a tier).
    """
    parts = part_set(session, part)
    site_legs_ = site_legs(session, site)
    site_legs_.settle(np.arange(len(site_legs_.stops.ids), dtype=np.int64))
    eta, ids = site_legs_.eta, site_legs_.stops.ids
    reached = np.flatnonzero((eta != legs.NONE) & (eta <= deadline_minutes))
    by_eta: dict[int, list[int]] = defaultdict(list)
    for pos in reached:
        by_eta[int(eta[pos])].append(int(ids[pos]))
    return [row[0] for row in considered.rows_by_eta(session, parts, by_eta, limit, firmware)]


def unit_leg(session: Session, *, site: Site, spare: SpareUnit) -> Leg:
    """Distance, band and ETA from the unit's warehouse to the site."""
    if spare.warehouse_id is None:
        raise NotFound(f"spare {spare.id} is in no warehouse")
    site_legs_ = site_legs(session, site)
    pos = int(site_legs_.stops.position[spare.warehouse_id])
    return Leg(site_legs_.exact(pos), site_legs_.band_minutes(pos), site_legs_.eta_minutes(pos))
