"""Reservations: an engineer's hold on one spare unit for a fault ticket.

Rules that always hold here:
- `reserve` picks the unit exactly as availability ranks candidates (or takes the given
  `spare_id` after checking it qualifies), then claims it atomically: on PostgreSQL by
  locking the first still-available candidate with `FOR UPDATE SKIP LOCKED`, on SQLite inside
  the write transaction that BEGIN IMMEDIATE already serialises. Two racing requests never
  hold the same unit; a loser moves on to the next candidate, and with none left gets
  `no_spare_available`.
- A reservation made for a device (`device_id`) fits it: the site is the device's (else 422
  `site_code`) and the part is installed in it or an acceptable substitute for one (else 422
  `part_number`), by the catalogue's rule (`catalogue.substitutes_of`).
- A reservation's status follows `ALLOWED`; its unit moves with it through
  `stock.transition`, so every step has its ledger row (reference `reservation:<id>`).
- Expiry is enforced on write and shown on read: an `active` reservation past `expires_at`
  is reported as `expired` by every read at once, and its unit is released by the next write
  that touches it (any reserve, dispatch, cancel or replacement) or by the sweeper
  (`expire_due`), which any number of replicas may run at the same time (rows are claimed
  with SKIP LOCKED on PostgreSQL; SQLite serialises writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import (
    InvalidTransition,
    NoSpareAvailable,
    NotFound,
    ValidationFailed,
)
from inventory_service.platform.pagination import Page, paginate
from inventory_service.platform.settings import get_settings
from inventory_service.policy import Operation
from inventory_service.reach import reachability
from inventory_service.warehouse import catalogue, stock
from models import (
    Component,
    Device,
    Part,
    Reservation,
    ReservationStatus,
    Site,
    SpareUnit,
    UnitStatus,
    Warehouse,
    bounds,
)
from models.base import utcnow
from models.reservation import ReservationCreate, ReservationRead

R = ReservationStatus
ALLOWED: Final[dict[ReservationStatus, frozenset[ReservationStatus]]] = {
    R.ACTIVE: frozenset({R.DISPATCHED, R.CANCELLED, R.EXPIRED, R.FULFILLED}),
    R.DISPATCHED: frozenset({R.CANCELLED, R.FULFILLED}),
    R.FULFILLED: frozenset(),
    R.CANCELLED: frozenset(),
    R.EXPIRED: frozenset(),
}
# What happens to the held unit when the reservation moves.
UNIT_ON: Final[dict[tuple[ReservationStatus, ReservationStatus], UnitStatus]] = {
    (R.ACTIVE, R.DISPATCHED): UnitStatus.DISPATCHED,
    (R.ACTIVE, R.CANCELLED): UnitStatus.AVAILABLE,
    (R.ACTIVE, R.EXPIRED): UnitStatus.AVAILABLE,
    (R.DISPATCHED, R.CANCELLED): UnitStatus.AVAILABLE,
}
# Candidates are tried best first, a page at a time: a page is only used up when racing
# writers hold every unit on it, and the next page is read after their commits.
ATTEMPTS_PER_ROUND: Final = 64
ROUNDS: Final = 4
NO_DEADLINE: Final = reachability.MAX_DEADLINE_MINUTES


def effective_status(reservation: Reservation, now: datetime | None = None) -> ReservationStatus:
    """The status a reader sees: an overdue active hold is already expired."""
    status = ReservationStatus(reservation.status)
    if status is R.ACTIVE and reservation.expires_at <= (now or utcnow()):
        return R.EXPIRED
    return status


def _lock(session: Session, reservation_id: int) -> Reservation:
    reservation = session.exec(
        select(Reservation).where(Reservation.id == reservation_id).with_for_update()
    ).first()
    if reservation is None:
        raise NotFound(f"reservation {reservation_id} not found")
    return reservation


def _move(
    session: Session, reservation: Reservation, to: ReservationStatus, *, actor: Caller
) -> Reservation:
    """Check the table, move the reservation and its unit, write the unit's ledger row."""
    current = ReservationStatus(reservation.status)
    if to not in ALLOWED[current]:
        raise InvalidTransition(
            f"reservation {reservation.id} is {current.value}; it cannot become {to.value}",
            details=[{"field": "status", "reason": f"current status is {current.value}"}],
        )
    unit_to = UNIT_ON.get((current, to))
    if unit_to is not None:
        unit = stock.lock_unit(session, spare_id=reservation.spare_id)
        stock.transition(
            session,
            unit,
            unit_to,
            actor=actor,
            action=f"reservation_{to.value}",
            reference=f"reservation:{reservation.id}",
        )
    reservation.status = to.value
    reservation.updated_at = utcnow()
    session.add(reservation)
    session.flush()
    return reservation


def _expire_if_due(session: Session, reservation: Reservation, *, actor: Caller) -> None:
    if effective_status(reservation) is R.EXPIRED and reservation.status == R.ACTIVE.value:
        _move(session, reservation, R.EXPIRED, actor=actor)


def expire_due(session: Session, *, actor: Caller, limit: int = 500) -> int:
    """Expire overdue active holds and release their units; safe on several replicas at once."""
    due = session.exec(
        select(Reservation)
        .where(Reservation.status == R.ACTIVE.value, col(Reservation.expires_at) <= utcnow())
        .order_by(col(Reservation.expires_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for reservation in due:
        _move(session, reservation, R.EXPIRED, actor=actor)
    return len(due)


def _claim(session: Session, spare_id: int) -> SpareUnit | None:
    """Lock the unit if it is still available and nobody else holds its lock."""
    return session.exec(
        select(SpareUnit)
        .where(SpareUnit.id == spare_id, SpareUnit.status == UnitStatus.AVAILABLE.value)
        .with_for_update(skip_locked=True)
    ).first()


def _resolve(session: Session, data: ReservationCreate) -> tuple[Site, Part]:
    """The site and part asked for (unknown ones are 422 naming the field)."""
    site = session.exec(select(Site).where(Site.code == data.site_code)).first()
    if site is None:
        raise ValidationFailed.field("site_code", f"unknown site {data.site_code!r}")
    part = session.exec(select(Part).where(Part.part_number == data.part_number)).first()
    if part is None:
        raise ValidationFailed.field("part_number", f"unknown part {data.part_number!r}")
    return site, part


def check_fit(session: Session, *, device_id: int, site: Site, part: Part) -> Device:
    """A reservation for a device must fit it: at the device's site (else 422 `site_code`),
    and of a part installed in it or an acceptable substitute for one (else 422
    `part_number`)."""
    device = session.get(Device, device_id)
    if device is None:
        raise ValidationFailed.field("device_id", f"unknown device {device_id}")
    if device.site_id != site.id:
        raise ValidationFailed.field(
            "site_code", f"device {device_id} does not stand at {site.code}"
        )
    installed = session.exec(
        select(Part).where(
            col(Part.id).in_(select(Component.part_id).where(Component.device_id == device_id))
        )
    ).all()
    fitting = catalogue.substitutes_of(session, installed).values()
    if part.id not in {q.id for found in fitting for q in found}:
        raise ValidationFailed.field(
            "part_number",
            f"{part.part_number} is neither installed in device {device_id} nor an "
            "acceptable substitute for a part installed in it",
        )
    return device


def _ranked(
    session: Session,
    *,
    site: Site,
    part: Part,
    spare_id: int | None,
    deadline: int,
    firmware: str | None,
) -> list[int]:
    """The units to try, best first: the given one (if it qualifies), else the candidates
    (for a device, a unit carrying its firmware first among equal ETAs)."""
    ranked = reachability.candidate_spare_ids(
        session,
        site=site,
        part=part,
        deadline_minutes=deadline,
        limit=ATTEMPTS_PER_ROUND,
        firmware=firmware,
    )
    if spare_id is None:
        return ranked
    if spare_id not in ranked and not _qualifies(
        session, site=site, part=part, spare_id=spare_id, deadline=deadline
    ):
        raise NoSpareAvailable(
            f"spare unit {spare_id} does not qualify for this site and part",
            details=[
                {
                    "field": "spare_id",
                    "reason": "not an available genuine unit "
                    "of the part or a substitute that reaches the site in time",
                }
            ],
        )
    return [spare_id]


def _hold(
    session: Session,
    unit: SpareUnit,
    *,
    actor: Caller,
    site: Site,
    part: Part,
    data: ReservationCreate,
) -> Reservation:
    """Record the reservation of a claimed unit and move the unit to `reserved`."""
    leg = reachability.unit_leg(session, site=site, spare=unit)
    assert leg.eta_minutes is not None
    assert unit.warehouse_id is not None
    assert unit.id is not None
    assert site.id is not None
    assert part.id is not None
    reservation = Reservation(
        site_id=site.id,
        part_id=part.id,
        spare_id=unit.id,
        device_id=data.device_id,
        warehouse_id=unit.warehouse_id,
        ticket=data.ticket,
        engineer=data.engineer,
        status=R.ACTIVE.value,
        eta_minutes=leg.eta_minutes,
        substitute=unit.part_id != part.id,
        actor=actor.actor,
        expires_at=utcnow() + timedelta(minutes=get_settings().hold_minutes),
    )
    session.add(reservation)
    session.flush()
    stock.transition(
        session,
        unit,
        UnitStatus.RESERVED,
        actor=actor,
        action="reserved",
        reference=f"reservation:{reservation.id} ticket:{data.ticket}",
    )
    return reservation


def reserve(session: Session, *, actor: Caller, data: ReservationCreate) -> Reservation:
    """Hold the best qualifying unit (or the given one) for a ticket."""
    site, part = _resolve(session, data)
    firmware = None
    if data.device_id is not None:
        device = check_fit(session, device_id=data.device_id, site=site, part=part)
        firmware = device.firmware_version
    expire_due(session, actor=actor)
    deadline = get_settings().deadline_minutes if data.require_within_deadline else NO_DEADLINE
    for _ in range(ROUNDS):
        ranked = _ranked(
            session,
            site=site,
            part=part,
            spare_id=data.spare_id,
            deadline=deadline,
            firmware=firmware,
        )
        for spare_id in ranked:
            unit = _claim(session, spare_id)
            if unit is not None:
                return _hold(session, unit, actor=actor, site=site, part=part, data=data)
        if len(ranked) < ATTEMPTS_PER_ROUND:
            break
    within = f" within {deadline} minutes" if data.require_within_deadline else ""
    raise NoSpareAvailable(
        f"no genuine {data.part_number} (or acceptable substitute) can be reserved for "
        f"{data.site_code}{within}",
    )


def _qualifies(session: Session, *, site: Site, part: Part, spare_id: int, deadline: int) -> bool:
    """Is the given unit a candidate? (The same tests as availability's, for one unit.)"""
    unit = session.get(SpareUnit, spare_id)
    if unit is None or not unit.genuine or unit.status != UnitStatus.AVAILABLE.value:
        return False
    unit_part = session.get(Part, unit.part_id)
    if unit_part is None or not catalogue.part_may_replace(session, part, unit_part):
        return False
    leg = reachability.unit_leg(session, site=site, spare=unit)
    return leg.eta_minutes is not None and leg.eta_minutes <= deadline


def dispatch(session: Session, *, actor: Caller, reservation_id: int) -> Reservation:
    """The warehouse hands the unit to the engineer."""
    reservation = _lock(session, reservation_id)
    _expire_if_due(session, reservation, actor=actor)
    return _move(session, reservation, R.DISPATCHED, actor=actor)


def cancel(session: Session, *, actor: Caller, reservation_id: int) -> Reservation:
    """Release the hold; a dispatched unit comes back to stock."""
    reservation = _lock(session, reservation_id)
    _expire_if_due(session, reservation, actor=actor)
    return _move(session, reservation, R.CANCELLED, actor=actor)


def lock_for_replacement(session: Session, *, actor: Caller, reservation_id: int) -> Reservation:
    """The reservation a replacement fulfils: active or dispatched, else illegal_transition."""
    reservation = _lock(session, reservation_id)
    _expire_if_due(session, reservation, actor=actor)
    current = ReservationStatus(reservation.status)
    if R.FULFILLED not in ALLOWED[current]:
        raise InvalidTransition(
            f"reservation {reservation_id} is {current.value}; only an active or dispatched "
            "reservation can be fulfilled",
            details=[{"field": "reservation_id", "reason": f"current status is {current.value}"}],
        )
    return reservation


def fulfil(session: Session, reservation: Reservation, *, actor: Caller) -> None:
    """Mark the reservation fulfilled (its unit is installed by the replacement)."""
    _move(session, reservation, R.FULFILLED, actor=actor)


def reads(session: Session, rows: list[Reservation]) -> list[ReservationRead]:
    """Reservations as the API shows them (one query for the joined codes)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    joined = {
        rid: (serial, number, wh, site)
        for rid, serial, number, wh, site in session.execute(
            sa_select(
                col(Reservation.id),
                col(SpareUnit.serial),
                col(Part.part_number),
                col(Warehouse.code),
                col(Site.code),
            )
            .join(SpareUnit, col(SpareUnit.id) == col(Reservation.spare_id))
            .join(Part, col(Part.id) == col(SpareUnit.part_id))
            .join(Warehouse, col(Warehouse.id) == col(Reservation.warehouse_id))
            .join(Site, col(Site.id) == col(Reservation.site_id))
            .where(col(Reservation.id).in_(ids))
        ).all()
    }
    now = utcnow()
    out = []
    for r in rows:
        serial, number, wh, site_code = joined[r.id]
        out.append(
            ReservationRead.model_validate(
                r.model_dump()
                | {
                    "status": effective_status(r, now),
                    "serial": serial,
                    "part_number": number,
                    "warehouse_code": wh,
                    "site_code": site_code,
                }
            )
        )
    return out


def get(session: Session, *, actor: Caller, reservation_id: int) -> ReservationRead:
    """One reservation (staff only)."""
    policy.authorize(actor, Operation.READ_INTERNAL)
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(f"reservation {reservation_id} not found")
    return reads(session, [reservation])[0]


def _status_filter(status: ReservationStatus) -> ColumnElement[bool]:
    now = utcnow()
    if status is R.EXPIRED:
        return or_(
            col(Reservation.status) == R.EXPIRED.value,
            and_(col(Reservation.status) == R.ACTIVE.value, col(Reservation.expires_at) <= now),
        )
    if status is R.ACTIVE:
        return and_(col(Reservation.status) == R.ACTIVE.value, col(Reservation.expires_at) > now)
    return col(Reservation.status) == status.value


@dataclass(frozen=True, slots=True)
class ReservationFilter:
    """The filters of the reservation list (None: any)."""

    status: ReservationStatus | None = None
    ticket: bounds.NameFilter = None
    engineer: bounds.NameFilter = None
    site_code: bounds.CodeFilter = None


def list_reservations(
    session: Session,
    *,
    actor: Caller,
    limit: int,
    cursor: str | None,
    filters: ReservationFilter,
) -> Page[ReservationRead]:
    """Reservations by status (as readers see it), ticket, engineer or site (staff only)."""
    policy.authorize(actor, Operation.READ_INTERNAL)
    stmt = select(Reservation)
    if filters.status is not None:
        stmt = stmt.where(_status_filter(filters.status))
    if filters.ticket is not None:
        stmt = stmt.where(Reservation.ticket == filters.ticket)
    if filters.engineer is not None:
        stmt = stmt.where(Reservation.engineer == filters.engineer)
    if filters.site_code is not None:
        stmt = stmt.join(Site, col(Site.id) == col(Reservation.site_id)).where(
            Site.code == filters.site_code
        )
    page = paginate(session, stmt, id_column=Reservation.id, limit=limit, cursor=cursor)
    return Page(items=reads(session, page.items), next_cursor=page.next_cursor)
