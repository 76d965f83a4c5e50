"""Replacements: a reserved unit goes into a device's slot and the removed part comes back.

Rules that always hold here:
- A replacement fulfils exactly one reservation, which must be active or dispatched (checked
  before anything else: 409 `illegal_transition`).
- The hardware fault is confirmed by both sides: both confirmations are required.
- Times may be entered after the fact but are consistent:
  fault_reported_at ≤ arrived_at ≤ replaced_at ≤ now.
- The new unit must be the same part as the removed one or an acceptable substitute.
- In one transaction: the unit is installed (ledger), the device's slot takes its serial
  (device history), the removed part becomes a `faulty` unit at the reservation's warehouse
  (ledger, genuine flag kept), the reservation is fulfilled.
- `duration_minutes` = replaced_at − fault_reported_at in whole minutes, rounded down;
  `within_deadline` = duration ≤ the configured deadline.
- The SLA clock is about arrival and is fixed when recorded: `arrival_minutes` =
  arrived_at − fault_reported_at (whole minutes, rounded down), `response_limit_minutes` =
  the site's `hub_band_minutes` at that moment, `arrived_within_response` = arrival ≤ that
  band (edges on time), `spare_on_site_within_deadline` = arrival ≤ the deadline; all null
  without an arrival (and the response pair null for a site beyond every band).
- The fault record (remote support, the customer's engineer, process, cause, solution,
  prevention) may be given at creation or completed later by `patch`; nothing else of a
  replacement ever changes. Every patch that changes something writes one `ReplacementEdit`
  row (who, when, each field before and after) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.assets import register
from inventory_service.lifecycle import reservations
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import NotFound, ValidationFailed
from inventory_service.platform.pagination import Page, paginate
from inventory_service.platform.settings import get_settings
from inventory_service.policy import Operation
from inventory_service.warehouse import catalogue, stock
from models import (
    Component,
    Customer,
    Device,
    Part,
    Replacement,
    ReplacementEdit,
    Reservation,
    Site,
    SpareUnit,
    UnitStatus,
    bounds,
)
from models.base import utcnow
from models.reservation import (
    FAULT_RECORD_FIELDS,
    FieldChange,
    ReplacementCreate,
    ReplacementEditRead,
    ReplacementRead,
    ReplacementUpdate,
)


def _minutes(later: datetime, earlier: datetime) -> int:
    """Whole minutes from `earlier` to `later`, rounded down."""
    return int((later - earlier).total_seconds() // 60)


@dataclass(frozen=True)
class Clock:
    """The SLA clock of one replacement (the contract's response table and 4-hour promise)."""

    duration_minutes: int
    within_deadline: bool
    arrival_minutes: int | None
    response_limit_minutes: int | None
    arrived_within_response: bool | None
    spare_on_site_within_deadline: bool | None


def clock(
    *,
    fault_reported_at: datetime,
    arrived_at: datetime | None,
    replaced_at: datetime,
    band_minutes: int | None,
    deadline_minutes: int,
) -> Clock:
    """Durations and on-time marks; a limit reached exactly is on time."""
    duration = _minutes(replaced_at, fault_reported_at)
    arrival = None if arrived_at is None else _minutes(arrived_at, fault_reported_at)
    limit = None if arrival is None else band_minutes
    return Clock(
        duration_minutes=duration,
        within_deadline=duration <= deadline_minutes,
        arrival_minutes=arrival,
        response_limit_minutes=limit,
        arrived_within_response=None if arrival is None or limit is None else arrival <= limit,
        spare_on_site_within_deadline=None if arrival is None else arrival <= deadline_minutes,
    )


def _check_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed.field(name, "must carry a time zone")


def _check_remote_support(
    remote_support_at: datetime | None, *, reported: datetime, replaced: datetime
) -> None:
    """Remote support starts after the fault is reported and before the repair is done."""
    if remote_support_at is None:
        return
    _check_aware("remote_support_at", remote_support_at)
    if remote_support_at < reported:
        raise ValidationFailed.field("remote_support_at", "must not be before fault_reported_at")
    if remote_support_at > replaced:
        raise ValidationFailed.field("remote_support_at", "must not be after replaced_at")


def _check_times(data: ReplacementCreate) -> None:
    now = utcnow()
    steps = [("fault_reported_at", data.fault_reported_at)]
    if data.arrived_at is not None:
        steps.append(("arrived_at", data.arrived_at))
    steps.append(("replaced_at", data.replaced_at))
    for name, value in steps:
        _check_aware(name, value)
    for (earlier_name, earlier), (later_name, later) in zip(steps, steps[1:], strict=False):
        if later < earlier:
            raise ValidationFailed.field(later_name, f"must not be before {earlier_name}")
    if data.replaced_at > now:
        raise ValidationFailed.field("replaced_at", "must not be in the future")
    _check_remote_support(
        data.remote_support_at, reported=data.fault_reported_at, replaced=data.replaced_at
    )


def _lock_device(session: Session, reservation: Reservation, device_id: int) -> Device:
    """The device, locked; it must be the reservation's (when it names one) and at its site."""
    device = session.exec(select(Device).where(Device.id == device_id).with_for_update()).first()
    if device is None:
        raise ValidationFailed.field("device_id", f"unknown device {device_id}")
    if reservation.device_id is not None and reservation.device_id != device.id:
        raise ValidationFailed.field("device_id", "the reservation was made for another device")
    if device.site_id != reservation.site_id:
        raise ValidationFailed.field("device_id", "the device is not at the reservation's site")
    return device


def _removed_component(session: Session, device: Device, serial: str) -> Component:
    component = session.exec(
        select(Component).where(Component.device_id == device.id, Component.serial == serial)
    ).first()
    if component is None:
        raise ValidationFailed.field(
            "removed_serial", "no component with this serial in the device"
        )
    return component


def _check_fit(session: Session, component: Component, unit: SpareUnit) -> Part:
    """The reserved unit's part may take the component's place; returns the new part."""
    old_part = session.get(Part, component.part_id)
    new_part = session.get(Part, unit.part_id)
    assert old_part is not None
    assert new_part is not None
    if not catalogue.part_may_replace(session, old_part, new_part):
        raise ValidationFailed.field(
            "removed_serial",
            f"{new_part.part_number} may not replace {old_part.part_number} "
            "(not the same part, and lower in a spec or another category)",
        )
    return new_part


def _install(
    session: Session,
    *,
    actor: Caller,
    unit: SpareUnit,
    device: Device,
    component: Component,
    new_part: Part,
    reference: str,
) -> None:
    """The unit leaves the warehouse into the device's slot (ledger and device history)."""
    if unit.status == UnitStatus.RESERVED.value:
        stock.transition(
            session,
            unit,
            UnitStatus.DISPATCHED,
            actor=actor,
            action="dispatched",
            reference=reference,
        )
    stock.transition(
        session,
        unit,
        UnitStatus.INSTALLED,
        actor=actor,
        action="installed",
        reference=f"{reference} device:{device.id} slot:{component.slot}",
        warehouse_id=None,
    )
    unit.device_id = device.id
    session.add(unit)
    register.swap_component(
        session,
        actor=actor,
        device_id=device.id or 0,
        slot=component.slot,
        part_number=new_part.part_number,
        serial=unit.serial,
        reference=reference,
    )


def record(session: Session, *, actor: Caller, data: ReplacementCreate) -> Replacement:
    """Record a replacement done in the field, confirmed by both sides."""
    reservation = reservations.lock_for_replacement(
        session, actor=actor, reservation_id=data.reservation_id
    )
    _check_times(data)
    device = _lock_device(session, reservation, data.device_id)
    component = _removed_component(session, device, data.removed_serial)
    unit = stock.lock_unit(session, spare_id=reservation.spare_id)
    new_part = _check_fit(session, component, unit)
    reference = f"reservation:{reservation.id}"
    slot, removed_part_id, removed_serial = component.slot, component.part_id, component.serial
    _install(
        session,
        actor=actor,
        unit=unit,
        device=device,
        component=component,
        new_part=new_part,
        reference=reference,
    )
    removed_unit = stock.register_removed(
        session,
        actor=actor,
        part_id=removed_part_id,
        serial=removed_serial,
        warehouse_id=reservation.warehouse_id,
        genuine=True,
        reference=reference,
    )
    reservations.fulfil(session, reservation, actor=actor)
    replacement = _replacement_row(
        session,
        actor=actor,
        data=data,
        reservation=reservation,
        device=device,
        installed=unit,
        removed=removed_unit,
        slot=slot,
    )
    session.add(replacement)
    session.flush()
    return replacement


def _replacement_row(
    session: Session,
    *,
    actor: Caller,
    data: ReplacementCreate,
    reservation: Reservation,
    device: Device,
    installed: SpareUnit,
    removed: SpareUnit,
    slot: str,
) -> Replacement:
    """The record: what was swapped where, the fault, both confirmations and the SLA clock."""
    site = session.get(Site, device.site_id)
    assert site is not None
    sla = clock(
        fault_reported_at=data.fault_reported_at,
        arrived_at=data.arrived_at,
        replaced_at=data.replaced_at,
        band_minutes=site.hub_band_minutes,
        deadline_minutes=get_settings().deadline_minutes,
    )
    return Replacement(
        **data.model_dump(include=set(FAULT_RECORD_FIELDS)),
        **vars(sla),
        reservation_id=reservation.id or 0,
        device_id=device.id or 0,
        site_id=site.id or 0,
        customer_id=site.customer_id,
        slot=slot,
        installed_spare_id=installed.id or 0,
        removed_spare_id=removed.id or 0,
        removed_serial=removed.serial,
        installed_serial=installed.serial,
        part_id=removed.part_id,
        reason=data.reason,
        fault_level=data.fault_level.value,
        fault_impact=data.fault_impact,
        fault_reported_at=data.fault_reported_at,
        arrived_at=data.arrived_at,
        replaced_at=data.replaced_at,
        engineer=reservation.engineer,
        customer_confirmed_by=data.customer_confirmed_by,
        engineer_confirmed_by=data.engineer_confirmed_by,
        actor=actor.actor,
    )


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _json(value: Any) -> Any:
    return _utc(value).isoformat() if isinstance(value, datetime) else value


def patch(
    session: Session, *, actor: Caller, replacement_id: int, data: ReplacementUpdate
) -> Replacement:
    """Complete or correct the fault record; each change is kept in the replacement's history."""
    row = session.exec(
        select(Replacement).where(Replacement.id == replacement_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"replacement {replacement_id} not found")
    raw = data.model_dump(include=set(FAULT_RECORD_FIELDS), exclude_unset=True)
    if "remote_support_at" in raw:
        _check_remote_support(
            raw["remote_support_at"], reported=row.fault_reported_at, replaced=row.replaced_at
        )
    given = {name: _utc(value) for name, value in raw.items()}
    changes = {
        name: {"before": _json(getattr(row, name)), "after": _json(value)}
        for name, value in given.items()
        if getattr(row, name) != value
    }
    if not changes:
        return row
    for name in changes:
        setattr(row, name, given[name])
    row.updated_at = utcnow()
    session.add(row)
    session.add(ReplacementEdit(replacement_id=row.id or 0, actor=actor.actor, changes=changes))
    session.flush()
    return row


def edits(
    session: Session, *, actor: Caller, replacement_id: int, limit: int, cursor: str | None
) -> Page[ReplacementEditRead]:
    """The history of a replacement's fault record, oldest first (staff only)."""
    policy.authorize(actor, Operation.READ_INTERNAL)
    if session.get(Replacement, replacement_id) is None:
        raise NotFound(f"replacement {replacement_id} not found")
    stmt = select(ReplacementEdit).where(ReplacementEdit.replacement_id == replacement_id)
    page = paginate(session, stmt, id_column=ReplacementEdit.id, limit=limit, cursor=cursor)
    items = [
        ReplacementEditRead(
            id=e.id or 0,
            replacement_id=e.replacement_id,
            actor=e.actor,
            at=e.at,
            changes=[
                FieldChange(field=name, before=c["before"], after=c["after"])
                for name, c in e.changes.items()
            ],
        )
        for e in page.items
    ]
    return Page(items=items, next_cursor=page.next_cursor)


def visible(session: Session, actor: Caller, replacement_id: int) -> Replacement:
    """The replacement row, if the caller may see it (a customer: its own devices; else 404)."""
    row = session.get(Replacement, replacement_id)
    if row is None or not policy.owns(actor, row.customer_id):
        raise NotFound(f"replacement {replacement_id} not found")
    return row


def reads(session: Session, rows: list[Replacement]) -> list[ReplacementRead]:
    """Replacements as the API shows them."""
    if not rows:
        return []
    site_ids = {r.site_id for r in rows}
    sites = dict(session.exec(select(Site.id, Site.code).where(col(Site.id).in_(site_ids))).all())
    customers = dict(
        session.exec(
            select(Customer.id, Customer.code).where(
                col(Customer.id).in_({r.customer_id for r in rows})
            )
        ).all()
    )
    parts = dict(
        session.exec(
            select(Part.id, Part.part_number).where(col(Part.id).in_({r.part_id for r in rows}))
        ).all()
    )
    return [
        ReplacementRead.model_validate(
            r.model_dump()
            | {
                "site_code": sites[r.site_id],
                "customer_code": customers[r.customer_id],
                "part_number": parts[r.part_id],
            }
        )
        for r in rows
    ]


def get(session: Session, *, actor: Caller, replacement_id: int) -> ReplacementRead:
    """One replacement (a customer sees only those on its own devices)."""
    return reads(session, [visible(session, actor, replacement_id)])[0]


@dataclass(frozen=True, slots=True)
class ReplacementFilter:
    """The filters of the replacement list (None: any)."""

    device_id: bounds.IdFilter = None
    site_code: bounds.CodeFilter = None
    customer_code: bounds.CodeFilter = None


def list_replacements(
    session: Session,
    *,
    actor: Caller,
    limit: int,
    cursor: str | None,
    filters: ReplacementFilter,
) -> Page[ReplacementRead]:
    """Replacements, scoped to the caller's customer."""
    stmt = policy.scope(select(Replacement), actor, col(Replacement.customer_id))
    if filters.device_id is not None:
        stmt = stmt.where(Replacement.device_id == filters.device_id)
    if filters.site_code is not None:
        stmt = stmt.join(Site, col(Site.id) == col(Replacement.site_id)).where(
            Site.code == filters.site_code
        )
    if filters.customer_code is not None:
        stmt = stmt.join(Customer, col(Customer.id) == col(Replacement.customer_id)).where(
            Customer.code == filters.customer_code
        )
    page = paginate(session, stmt, id_column=Replacement.id, limit=limit, cursor=cursor)
    return Page(items=reads(session, page.items), next_cursor=page.next_cursor)
