"""Serialized spare units: their state machine, commands and queries (the movement ledger).

Rules that always hold here:
- Every change of a unit's status or warehouse goes through `transition` (or `receive` /
  `register_removed` for its first row), which checks the state machine `ALLOWED` and writes
  exactly one `Movement` row in the same transaction. No code updates or deletes a movement.
- A unit received as genuine without complete provenance (supplier, channel and document) is
  `quarantined` until the warehouse verifies it; a non-genuine unit may be received (the
  customer's inspection must see it) but never counts as a replacement anywhere.
- A unit's serial is unique per part number.
- Verifying completes a quarantined unit's provenance and never touches `genuine`: a
  non-genuine unit is never quarantined, so it can never be verified into a genuine one.
- Only an `available` unit is transferred between warehouses.
- A `customer` caller sees only units of part numbers installed in its own devices, or of
  parts that may substitute for them; anything else is NotFound. Movements shown to it carry
  no actor names or references (those name engineers and tickets).
- Every ledger row records its change of `spare_count` (`counts.record`) in the same
  transaction; the counts table, its upsert and its check are `counts`.
- Queries never write. Stocktakes (`stocktakes`), the ledger replay (`ledger`), the counts
  (`counts`) and the spares list rows (`spares_list`) are their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select

from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import (
    DuplicateSerial,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from inventory_service.platform.pagination import Page, check_limit, paginate
from inventory_service.warehouse import catalogue, counts
from models import (
    Movement,
    Part,
    SpareUnit,
    UnitStatus,
    Warehouse,
    bounds,
)
from models.base import utcnow
from models.ledger import MovementRead
from models.spare import (
    Condition,
    ProvenanceRead,
    SpareRead,
    SpareReceive,
    SpareSummary,
    SpareSummaryRow,
    SpareVerify,
)

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


def _illegal(
    unit: SpareUnit, current: UnitStatus, to: UnitStatus, action: str
) -> InvalidTransition:
    return InvalidTransition(
        f"spare unit {unit.id} is {current.value}; it cannot become {to.value} ({action})",
        details=[{"field": "status", "reason": f"current status is {current.value}"}],
    )


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
        raise _illegal(unit, current, to, action)
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
    counts.record(session, unit.part_id, from_warehouse, current.value, unit.genuine, -1)
    counts.record(session, unit.part_id, unit.warehouse_id, to.value, unit.genuine, +1)
    movement = Movement(
        spare_id=unit.id,
        action=action,
        from_status=current.value,
        to_status=to.value,
        from_warehouse_id=from_warehouse,
        to_warehouse_id=unit.warehouse_id,
        actor=actor.actor,
        reference=bounds.fit(reference),
    )
    session.add(movement)
    session.flush()
    return movement


def _first_movement(
    session: Session, unit: SpareUnit, *, actor: Caller, action: str, reference: str | None
) -> None:
    assert unit.id is not None
    counts.record(session, unit.part_id, unit.warehouse_id, unit.status, unit.genuine, +1)
    session.add(
        Movement(
            spare_id=unit.id,
            action=action,
            from_status=None,
            to_status=unit.status,
            from_warehouse_id=None,
            to_warehouse_id=unit.warehouse_id,
            actor=actor.actor,
            reference=bounds.fit(reference),
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
        firmware_version=data.firmware_version,
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


# --- Commands on one unit ------------------------------------------------------------------


def verify(session: Session, *, actor: Caller, spare_id: int, data: SpareVerify) -> SpareUnit:
    """Release a quarantined unit: complete its provenance, then quarantined → available.

    A field given fills a missing one; a field already on record must be given unchanged or
    not at all (the receipt is not rewritten). Still incomplete afterwards: 422 naming the
    missing fields. A unit that is not quarantined: 409 `illegal_transition`.
    """
    unit = lock_unit(session, spare_id=spare_id)
    if UnitStatus(unit.status) is not S.QUARANTINED:
        raise _illegal(unit, UnitStatus(unit.status), S.AVAILABLE, "verified")
    bad: list[dict[str, Any]] = []
    merged: dict[str, str | None] = {}
    for name in ("supplier", "channel", "document"):
        recorded: str | None = getattr(unit, name)
        given: str | None = getattr(data, name)
        given = given.strip() if given is not None else None
        if recorded and given and given != recorded:
            bad.append({"field": name, "reason": f"already recorded as {recorded!r}"})
        merged[name] = recorded or given or None
        if not merged[name]:
            bad.append({"field": name, "reason": "required to release the unit from quarantine"})
    if bad:
        raise ValidationFailed("the unit's provenance is incomplete or conflicting", details=bad)
    unit.supplier, unit.channel, unit.document = (
        merged["supplier"],
        merged["channel"],
        merged["document"],
    )
    transition(session, unit, S.AVAILABLE, actor=actor, action="verified", reference=unit.document)
    return unit


def set_firmware(
    session: Session, *, actor: Caller, spare_id: int, firmware_version: str | None
) -> SpareUnit:
    """Record the firmware a unit carries (None: unknown), with its ledger row."""
    unit = lock_unit(session, spare_id=spare_id)
    before = unit.firmware_version
    if before == firmware_version:
        return unit
    unit.firmware_version = firmware_version
    unit.updated_at = utcnow()
    session.add(unit)
    assert unit.id is not None
    # The status and warehouse stay: the row chains on, and names the change.
    session.add(
        Movement(
            spare_id=unit.id,
            action="firmware_updated",
            from_status=unit.status,
            to_status=unit.status,
            from_warehouse_id=unit.warehouse_id,
            to_warehouse_id=unit.warehouse_id,
            actor=actor.actor,
            reference=f"firmware: {before or '?'} -> {firmware_version or '?'}"[:200],
        )
    )
    session.flush()
    return unit


def transfer(session: Session, *, actor: Caller, spare_id: int, warehouse_code: str) -> SpareUnit:
    """Move an available unit to another warehouse (409 unless available, 422 if unknown)."""
    target = session.exec(select(Warehouse).where(Warehouse.code == warehouse_code)).first()
    if target is None:
        raise ValidationFailed.field("warehouse_code", f"unknown warehouse {warehouse_code!r}")
    unit = lock_unit(session, spare_id=spare_id)
    current = UnitStatus(unit.status)
    if current is not S.AVAILABLE:
        raise _illegal(unit, current, S.AVAILABLE, f"transfer to {warehouse_code}")
    if unit.warehouse_id == target.id:
        raise ValidationFailed.field("warehouse_code", f"the unit is already at {warehouse_code}")
    transition(
        session,
        unit,
        S.AVAILABLE,
        actor=actor,
        action="transferred",
        reference=f"to {warehouse_code}",
        warehouse_id=target.id,
    )
    return unit


def scrap(session: Session, *, actor: Caller, spare_id: int, reason: str | None) -> SpareUnit:
    """Write a unit off (from quarantined, available, faulty or at_repair, per `ALLOWED`)."""
    unit = lock_unit(session, spare_id=spare_id)
    transition(session, unit, S.SCRAPPED, actor=actor, action="scrapped", reference=reason)
    return unit


# --- Queries --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpareFilter:
    """The filters shared by the list, the summary and the export (None: any)."""

    part_number: bounds.CodeFilter = None
    warehouse_code: bounds.CodeFilter = None
    status: UnitStatus | None = None
    genuine: bool | None = None
    condition: Condition | None = None
    serial: bounds.ShortFilter = None


def visible_part_ids(session: Session, actor: Caller) -> set[int] | None:
    """Part ids a customer may see (installed in its devices, or substitutes); None: all."""
    if not actor.is_customer:
        return None
    return catalogue.customer_part_ids(session, customer_id=actor.customer_id)


def scoped(stmt: Any, session: Session, actor: Caller) -> Any:
    """`stmt` limited to the units the caller may see."""
    return policy.scope_ids(stmt, actor, col(SpareUnit.part_id), visible_part_ids(session, actor))


def filtered(stmt: Any, f: SpareFilter) -> Any:
    """`stmt` limited by the list's filters."""
    # Codes become ids in a scalar subquery, so the unit's own indexes serve the filter.
    if f.part_number is not None:
        part_id = select(Part.id).where(Part.part_number == f.part_number).scalar_subquery()
        stmt = stmt.where(col(SpareUnit.part_id) == part_id)
    if f.warehouse_code is not None:
        wh_id = select(Warehouse.id).where(Warehouse.code == f.warehouse_code).scalar_subquery()
        stmt = stmt.where(col(SpareUnit.warehouse_id) == wh_id)
    if f.status is not None:
        stmt = stmt.where(SpareUnit.status == f.status.value)
    if f.genuine is not None:
        stmt = stmt.where(SpareUnit.genuine == f.genuine)
    if f.condition is not None:
        stmt = stmt.where(SpareUnit.condition == f.condition.value)
    if f.serial is not None:
        stmt = stmt.where(SpareUnit.serial == f.serial)
    return stmt


def _unit_rows() -> Select[SpareUnit, str, str, str]:
    return (
        select(SpareUnit, Part.part_number, Part.name, Warehouse.code)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .outerjoin(Warehouse, col(Warehouse.id) == col(SpareUnit.warehouse_id))
    )


def _spare_read(unit: SpareUnit, part_number: str, part_name: str, code: str | None) -> SpareRead:
    return SpareRead(
        id=unit.id or 0,
        part_number=part_number,
        part_name=part_name,
        serial=unit.serial,
        warehouse_code=code,
        condition=Condition(unit.condition),
        genuine=unit.genuine,
        provenance=ProvenanceRead(
            supplier=unit.supplier, channel=unit.channel, document=unit.document
        ),
        status=UnitStatus(unit.status),
        firmware_version=unit.firmware_version,
        received_at=unit.received_at,
        updated_at=unit.updated_at,
    )


def read(session: Session, unit: SpareUnit) -> SpareRead:
    """The unit as the API shows it (after a command: no scope check)."""
    row = session.exec(_unit_rows().where(SpareUnit.id == unit.id)).one()
    return _spare_read(*row)


def get(session: Session, *, actor: Caller, spare_id: int) -> SpareRead:
    """One unit, if the caller may see it."""
    row = session.exec(scoped(_unit_rows().where(SpareUnit.id == spare_id), session, actor)).first()
    if row is None:
        raise NotFound(f"spare unit {spare_id} not found")
    return _spare_read(*row)


def list_units(
    session: Session, *, actor: Caller, limit: int, cursor: str | None, filters: SpareFilter
) -> Page[SpareRead]:
    """Units the caller may see, filtered, by id (one joined query per page)."""
    return paginate(
        session,
        filtered(scoped(_unit_rows(), session, actor), filters),
        id_column=col(SpareUnit.id),
        limit=limit,
        cursor=cursor,
        to_item=lambda row: _spare_read(*row),
    )


def summary(session: Session, *, actor: Caller, filters: SpareFilter) -> SpareSummary:
    """Count of units per part number × warehouse × status (the caller's scope, filtered)."""
    count = func.count(col(SpareUnit.id))
    stmt = (
        select(Part.part_number, Warehouse.code, SpareUnit.status, count)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .outerjoin(Warehouse, col(Warehouse.id) == col(SpareUnit.warehouse_id))
        .group_by(col(Part.part_number), col(Warehouse.code), col(SpareUnit.status))
        .order_by(col(Part.part_number), col(Warehouse.code), col(SpareUnit.status))
    )
    rows = session.exec(filtered(scoped(stmt, session, actor), filters)).all()
    items = [
        SpareSummaryRow(part_number=pn, warehouse_code=wh, status=UnitStatus(st), count=n)
        for pn, wh, st, n in rows
    ]
    return SpareSummary(items=items, total=sum(i.count for i in items))


def movements(
    session: Session, *, actor: Caller, spare_id: int, limit: int, cursor: str | None
) -> Page[MovementRead]:
    """A unit's ledger rows, oldest first (a customer sees no actors or references)."""
    get(session, actor=actor, spare_id=spare_id)
    check_limit(limit)
    source, target = aliased(Warehouse), aliased(Warehouse)
    stmt = (
        select(Movement, source.code, target.code)
        .outerjoin(source, col(source.id) == col(Movement.from_warehouse_id))
        .outerjoin(target, col(target.id) == col(Movement.to_warehouse_id))
        .where(Movement.spare_id == spare_id)
    )

    def to_item(row: Any) -> MovementRead:
        m, src, dst = row
        return MovementRead.model_validate(
            policy.redact(
                actor, m.model_dump() | {"from_warehouse_code": src, "to_warehouse_code": dst}
            )
        )

    return paginate(
        session, stmt, id_column=col(Movement.id), limit=limit, cursor=cursor, to_item=to_item
    )
