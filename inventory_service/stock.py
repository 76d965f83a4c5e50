"""Serialized spare units and their append-only movement ledger.

Rules that always hold here:
- Every change of a unit's status or warehouse goes through `transition` (or `receive` /
  `register_removed` for its first row), which checks the state machine `ALLOWED` and writes
  exactly one `Movement` row in the same transaction. No code updates or deletes a movement.
- A unit received as genuine without complete provenance (supplier, channel and document) is
  `quarantined` until the warehouse verifies it; a non-genuine unit may be received (the
  customer's inspection must see it) but never counts as a replacement anywhere.
- A unit's serial is unique per part number.
"""

from __future__ import annotations

from typing import Final

from sqlmodel import Session, select

from inventory_service.auth import Caller
from inventory_service.db import flush_or_conflict
from inventory_service.errors import DuplicateSerial, InvalidTransition, NotFound, ValidationFailed
from models import Movement, Part, SpareUnit, UnitStatus, Warehouse
from models.base import utcnow
from models.spare import Condition, SpareReceive

S = UnitStatus
ALLOWED: Final[dict[UnitStatus, frozenset[UnitStatus]]] = {
    S.QUARANTINED: frozenset({S.AVAILABLE, S.SCRAPPED}),
    S.AVAILABLE: frozenset({S.RESERVED, S.SCRAPPED}),
    S.RESERVED: frozenset({S.AVAILABLE, S.DISPATCHED}),
    S.DISPATCHED: frozenset({S.INSTALLED, S.AVAILABLE}),
    S.INSTALLED: frozenset({S.FAULTY}),
    S.FAULTY: frozenset({S.AT_REPAIR, S.SCRAPPED}),
    S.AT_REPAIR: frozenset({S.AVAILABLE, S.SCRAPPED}),
    S.SCRAPPED: frozenset(),
}
# Statuses in which a unit sits on a warehouse shelf (transfers and stocktakes see these).
ON_SHELF: Final = frozenset({S.QUARANTINED, S.AVAILABLE, S.RESERVED, S.FAULTY})
_KEEP: Final = object()


def provenance_complete(supplier: str | None, channel: str | None, document: str | None) -> bool:
    """Supplier, channel and document all given (the legal-channel rule)."""
    return all(value and value.strip() for value in (supplier, channel, document))


def lock_unit(session: Session, *, spare_id: int) -> SpareUnit:
    """The unit, locked for update until the transaction ends."""
    unit = session.exec(select(SpareUnit).where(SpareUnit.id == spare_id).with_for_update()).first()
    if unit is None:
        raise NotFound(f"spare unit {spare_id} not found")
    return unit


def transition(
    session: Session,
    unit: SpareUnit,
    to: UnitStatus,
    *,
    actor: Caller,
    action: str,
    reference: str | None = None,
    warehouse_id: int | None | object = _KEEP,
    condition: Condition | None = None,
) -> Movement:
    """Move `unit` to status `to` (and optionally another warehouse), writing its ledger row.

    A move to the same status is allowed only as a change of warehouse (a transfer).
    """
    current = UnitStatus(unit.status)
    moves_warehouse = warehouse_id is not _KEEP and warehouse_id != unit.warehouse_id
    if to not in ALLOWED[current] and not (to is current and moves_warehouse):
        raise InvalidTransition(
            f"spare unit {unit.id} is {current.value}; it cannot become {to.value} ({action})",
            details=[{"field": "status", "reason": f"current status is {current.value}"}],
        )
    from_warehouse = unit.warehouse_id
    if warehouse_id is not _KEEP:
        assert warehouse_id is None or isinstance(warehouse_id, int)
        unit.warehouse_id = warehouse_id
    unit.status = to.value
    if condition is not None:
        unit.condition = condition.value
    unit.updated_at = utcnow()
    session.add(unit)
    assert unit.id is not None
    movement = Movement(
        spare_id=unit.id,
        action=action,
        from_status=current.value,
        to_status=to.value,
        from_warehouse_id=from_warehouse,
        to_warehouse_id=unit.warehouse_id,
        actor=actor.actor,
        reference=reference,
    )
    session.add(movement)
    session.flush()
    return movement


def _first_movement(
    session: Session, unit: SpareUnit, *, actor: Caller, action: str, reference: str | None
) -> None:
    assert unit.id is not None
    session.add(
        Movement(
            spare_id=unit.id,
            action=action,
            from_status=None,
            to_status=unit.status,
            from_warehouse_id=None,
            to_warehouse_id=unit.warehouse_id,
            actor=actor.actor,
            reference=reference,
        )
    )
    session.flush()


def _duplicate(part_number: str, serial: str) -> DuplicateSerial:
    return DuplicateSerial(
        f"part {part_number} already has a unit with serial {serial!r}",
        details=[{"field": "serial", "reason": "already exists for this part number"}],
    )


def receive(session: Session, *, actor: Caller, data: SpareReceive) -> SpareUnit:
    """Take a unit into a warehouse: available, or quarantined until its provenance is verified."""
    part = session.exec(select(Part).where(Part.part_number == data.part_number)).first()
    if part is None:
        raise ValidationFailed.field("part_number", f"unknown part {data.part_number!r}")
    warehouse = session.exec(select(Warehouse).where(Warehouse.code == data.warehouse_code)).first()
    if warehouse is None:
        raise ValidationFailed.field("warehouse_code", f"unknown warehouse {data.warehouse_code!r}")
    assert part.id is not None
    duplicate = _duplicate(part.part_number, data.serial)
    taken = session.exec(
        select(SpareUnit.id).where(SpareUnit.part_id == part.id, SpareUnit.serial == data.serial)
    ).first()
    if taken is not None:
        raise duplicate
    p = data.provenance
    complete = provenance_complete(p.supplier, p.channel, p.document)
    status = S.QUARANTINED if data.genuine and not complete else S.AVAILABLE
    unit = SpareUnit(
        part_id=part.id,
        serial=data.serial,
        warehouse_id=warehouse.id,
        genuine=data.genuine,
        supplier=p.supplier or None,
        channel=p.channel or None,
        document=p.document or None,
        condition=data.condition.value,
        status=status.value,
    )
    session.add(unit)
    flush_or_conflict(session, duplicate)
    _first_movement(session, unit, actor=actor, action="received", reference=p.document or None)
    return unit


def register_removed(
    session: Session,
    *,
    actor: Caller,
    part_id: int,
    serial: str,
    warehouse_id: int,
    genuine: bool,
    reference: str | None,
) -> SpareUnit:
    """A part taken out of a device comes back to `warehouse_id` as a `faulty` unit.

    A unit the service already tracks (it was installed from stock) moves installed → faulty;
    an original part the service never stocked becomes a new unit, genuine flag as given.
    """
    unit = session.exec(
        select(SpareUnit)
        .where(SpareUnit.part_id == part_id, SpareUnit.serial == serial)
        .with_for_update()
    ).first()
    if unit is not None:
        transition(
            session,
            unit,
            S.FAULTY,
            actor=actor,
            action="returned_faulty",
            reference=reference,
            warehouse_id=warehouse_id,
        )
        unit.device_id = None
        session.add(unit)
        session.flush()
        return unit
    unit = SpareUnit(
        part_id=part_id,
        serial=serial,
        warehouse_id=warehouse_id,
        genuine=genuine,
        condition=Condition.NEW.value,
        status=S.FAULTY.value,
    )
    session.add(unit)
    session.flush()
    _first_movement(session, unit, actor=actor, action="returned_faulty", reference=reference)
    return unit
