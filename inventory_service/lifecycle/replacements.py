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
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.assets import register
from inventory_service.lifecycle import reservations
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import NotFound, ValidationFailed
from inventory_service.platform.pagination import Page, paginate
from inventory_service.platform.settings import get_settings
from inventory_service.warehouse import catalogue, stock
from models import Component, Customer, Device, Part, Replacement, Site, UnitStatus
from models.base import utcnow
from models.reservation import ReplacementCreate, ReplacementRead


def _check_times(data: ReplacementCreate) -> None:
    now = utcnow()
    steps = [("fault_reported_at", data.fault_reported_at)]
    if data.arrived_at is not None:
        steps.append(("arrived_at", data.arrived_at))
    steps.append(("replaced_at", data.replaced_at))
    for name, value in steps:
        if value.tzinfo is None:
            raise ValidationFailed.field(name, "must carry a time zone")
    for (earlier_name, earlier), (later_name, later) in zip(steps, steps[1:], strict=False):
        if later < earlier:
            raise ValidationFailed.field(later_name, f"must not be before {earlier_name}")
    if data.replaced_at > now:
        raise ValidationFailed.field("replaced_at", "must not be in the future")


def record(session: Session, *, actor: Caller, data: ReplacementCreate) -> Replacement:
    """Record a replacement done in the field, confirmed by both sides."""
    reservation = reservations.lock_for_replacement(
        session, actor=actor, reservation_id=data.reservation_id
    )
    _check_times(data)
    device = session.exec(
        select(Device).where(Device.id == data.device_id).with_for_update()
    ).first()
    if device is None:
        raise ValidationFailed.field("device_id", f"unknown device {data.device_id}")
    if reservation.device_id is not None and reservation.device_id != device.id:
        raise ValidationFailed.field("device_id", "the reservation was made for another device")
    if device.site_id != reservation.site_id:
        raise ValidationFailed.field("device_id", "the device is not at the reservation's site")
    component = session.exec(
        select(Component).where(
            Component.device_id == device.id, Component.serial == data.removed_serial
        )
    ).first()
    if component is None:
        raise ValidationFailed.field(
            "removed_serial", "no component with this serial in the device"
        )
    unit = stock.lock_unit(session, spare_id=reservation.spare_id)
    old_part = session.get(Part, component.part_id)
    new_part = session.get(Part, unit.part_id)
    assert old_part is not None
    assert new_part is not None
    if not catalogue.part_may_replace(old_part, new_part):
        raise ValidationFailed.field(
            "removed_serial",
            f"{new_part.part_number} may not replace {old_part.part_number} "
            "(not the same part, and lower in a spec or another category)",
        )
    reference = f"reservation:{reservation.id}"
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
    slot, removed_part_id, removed_serial = component.slot, component.part_id, component.serial
    register.swap_component(
        session,
        actor=actor,
        device_id=device.id or 0,
        slot=slot,
        part_number=new_part.part_number,
        serial=unit.serial,
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
    site = session.get(Site, device.site_id)
    assert site is not None
    duration = int((data.replaced_at - data.fault_reported_at).total_seconds() // 60)
    replacement = Replacement(
        reservation_id=reservation.id or 0,
        device_id=device.id or 0,
        site_id=site.id or 0,
        customer_id=site.customer_id,
        slot=slot,
        installed_spare_id=unit.id or 0,
        removed_spare_id=removed_unit.id or 0,
        removed_serial=removed_serial,
        installed_serial=unit.serial,
        part_id=removed_part_id,
        reason=data.reason,
        fault_level=data.fault_level.value,
        fault_impact=data.fault_impact,
        fault_reported_at=data.fault_reported_at,
        arrived_at=data.arrived_at,
        replaced_at=data.replaced_at,
        duration_minutes=duration,
        within_deadline=duration <= get_settings().deadline_minutes,
        engineer=reservation.engineer,
        customer_confirmed_by=data.customer_confirmed_by,
        engineer_confirmed_by=data.engineer_confirmed_by,
        actor=actor.actor,
    )
    session.add(replacement)
    session.flush()
    return replacement


def read_rows(session: Session, rows: list[Replacement]) -> list[ReplacementRead]:
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
    row = session.get(Replacement, replacement_id)
    if row is None or not policy.owns(actor, row.customer_id):
        raise NotFound(f"replacement {replacement_id} not found")
    return read_rows(session, [row])[0]


def list_replacements(
    session: Session,
    *,
    actor: Caller,
    limit: int,
    cursor: str | None,
    device_id: int | None = None,
    site_code: str | None = None,
    customer_code: str | None = None,
) -> Page[ReplacementRead]:
    """Replacements, scoped to the caller's customer."""
    stmt = policy.scope(select(Replacement), actor, col(Replacement.customer_id))
    if device_id is not None:
        stmt = stmt.where(Replacement.device_id == device_id)
    if site_code is not None:
        stmt = stmt.join(Site, col(Site.id) == col(Replacement.site_id)).where(
            Site.code == site_code
        )
    if customer_code is not None:
        stmt = stmt.join(Customer, col(Customer.id) == col(Replacement.customer_id)).where(
            Customer.code == customer_code
        )
    page = paginate(session, stmt, id_column=Replacement.id, limit=limit, cursor=cursor)
    return Page(items=read_rows(session, page.items), next_cursor=page.next_cursor)
