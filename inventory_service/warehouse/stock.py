"""Serialized spare units and their append-only movement ledger.

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
- A stocktake is a report, never an adjustment: it changes no unit and writes no movement.
- `verify_ledger` replays the ledger: each unit's rows chain (from = previous to) and its last
  row equals its current status and warehouse. Queries never write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Final

from sqlalchemy import false
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import (
    DuplicateSerial,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from inventory_service.platform.pagination import Page, check_limit, decode_cursor, encode_cursor
from inventory_service.warehouse import catalogue
from models import (
    Component,
    Device,
    Movement,
    Part,
    Site,
    SpareUnit,
    Stocktake,
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
    StocktakeCreate,
    StocktakeRead,
    StocktakeResult,
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

    part_number: str | None = None
    warehouse_code: str | None = None
    status: UnitStatus | None = None
    genuine: bool | None = None
    condition: Condition | None = None
    serial: str | None = None


def visible_part_ids(session: Session, actor: Caller) -> set[int] | None:
    """Part ids a customer may see (installed in its devices, or substitutes); None: all."""
    if not actor.is_customer:
        return None
    installed = session.exec(
        select(Part)
        .where(
            col(Part.id).in_(
                select(Component.part_id)
                .join(Device, col(Device.id) == col(Component.device_id))
                .join(Site, col(Site.id) == col(Device.site_id))
                .where(Site.customer_id == actor.customer_id)
            )
        )
        .order_by(col(Part.id))
    ).all()
    if not installed:
        return set()
    categories = {p.category for p in installed}
    same_category = session.exec(select(Part).where(col(Part.category).in_(categories))).all()
    return {
        q.id
        for p in installed
        for q in same_category
        if q.id is not None and q.category == p.category and catalogue.part_may_replace(p, q)
    }


def _scoped(stmt: Any, session: Session, actor: Caller) -> Any:
    ids = visible_part_ids(session, actor)
    if ids is None:
        return stmt
    return stmt.where(col(SpareUnit.part_id).in_(ids)) if ids else stmt.where(false())


def _filtered(stmt: Any, f: SpareFilter) -> Any:
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
        received_at=unit.received_at,
        updated_at=unit.updated_at,
    )


def read(session: Session, unit: SpareUnit) -> SpareRead:
    """The unit as the API shows it (after a command: no scope check)."""
    row = session.exec(_unit_rows().where(SpareUnit.id == unit.id)).one()
    return _spare_read(*row)


def get(session: Session, *, actor: Caller, spare_id: int) -> SpareRead:
    """One unit, if the caller may see it."""
    row = session.exec(
        _scoped(_unit_rows().where(SpareUnit.id == spare_id), session, actor)
    ).first()
    if row is None:
        raise NotFound(f"spare unit {spare_id} not found")
    return _spare_read(*row)


def list_units(
    session: Session, *, actor: Caller, limit: int, cursor: str | None, filters: SpareFilter
) -> Page[SpareRead]:
    """Units the caller may see, filtered, by id (one joined query per page)."""
    check_limit(limit)
    stmt = _filtered(_scoped(_unit_rows(), session, actor), filters)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(col(SpareUnit.id) > after)
    rows = list(session.exec(stmt.order_by(col(SpareUnit.id)).limit(limit + 1)).all())
    more = len(rows) > limit
    items = [_spare_read(*row) for row in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


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
    rows = session.exec(_filtered(_scoped(stmt, session, actor), filters)).all()
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
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(col(Movement.id) > after)
    rows = list(session.exec(stmt.order_by(col(Movement.id)).limit(limit + 1)).all())
    more = len(rows) > limit
    items = [
        MovementRead.model_validate(
            m.model_dump()
            | {"from_warehouse_code": src, "to_warehouse_code": dst}
            | ({"actor": "contractor", "reference": None} if actor.is_customer else {})
        )
        for m, src, dst in rows[:limit]
    ]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


# Units the contractor holds for the customer: everything but installed and written off.
HELD: Final = frozenset(set(UnitStatus) - {S.INSTALLED, S.SCRAPPED})


@dataclass(frozen=True, slots=True)
class ExportRow:
    part_number: str
    part_name: str
    vendor: str
    category: str
    serial: str
    warehouse_code: str | None
    warehouse_name: str | None
    condition: str
    genuine: bool
    supplier: str | None
    channel: str | None
    document: str | None
    status: str
    received_at: str


def export_rows(session: Session, *, actor: Caller, filters: SpareFilter) -> list[ExportRow]:
    """The spares list (备品备件清单): held units (any status if `status` is given), by part."""
    stmt = (
        select(SpareUnit, Part, Warehouse.code, Warehouse.name)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .outerjoin(Warehouse, col(Warehouse.id) == col(SpareUnit.warehouse_id))
    )
    stmt = _filtered(_scoped(stmt, session, actor), filters)
    if filters.status is None:
        stmt = stmt.where(col(SpareUnit.status).in_([s.value for s in HELD]))
    stmt = stmt.order_by(col(Part.part_number), col(Warehouse.code), col(SpareUnit.serial))
    return [
        ExportRow(
            part_number=part.part_number,
            part_name=part.name,
            vendor=part.vendor,
            category=part.category,
            serial=unit.serial,
            warehouse_code=code,
            warehouse_name=name,
            condition=unit.condition,
            genuine=unit.genuine,
            supplier=unit.supplier,
            channel=unit.channel,
            document=unit.document,
            status=unit.status,
            received_at=unit.received_at.isoformat(timespec="seconds"),
        )
        for unit, part, code, name in session.exec(stmt).all()
    ]


# --- Stocktakes -----------------------------------------------------------------------------

_STREAM: Final = 10_000  # rows fetched at a time by the ledger replay
_CHUNK: Final = 900  # stays under SQLite's bound-parameter limit


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def take_stock(
    session: Session, *, actor: Caller, warehouse_code: str, data: StocktakeCreate
) -> Stocktake:
    """Compare the serials counted on a warehouse's shelves with the books; store the report.

    Missing: on the books here (a shelf status) and not counted. Unexpected: counted but no
    such unit is known. Misplaced: counted here but booked at another warehouse, or booked in
    a status that is not on a shelf. It changes no unit: a report, not an adjustment.
    """
    warehouse = places.get_warehouse(session, code=warehouse_code)
    seen: set[tuple[str | None, str]] = set()
    duplicates: list[str] = []
    lines: list[tuple[str | None, str]] = []
    for line in data.counted:
        key = (line.part_number, line.serial)
        if key in seen:
            duplicates.append(line.serial)
            continue
        seen.add(key)
        lines.append(key)
    by_serial: dict[str, list[tuple[SpareUnit, str, str | None]]] = {}
    serials = sorted({serial for _, serial in lines})
    for chunk in _chunks(serials):
        found = session.exec(
            select(SpareUnit, Part.part_number, Warehouse.code)
            .join(Part, col(Part.id) == col(SpareUnit.part_id))
            .outerjoin(Warehouse, col(Warehouse.id) == col(SpareUnit.warehouse_id))
            .where(col(SpareUnit.serial).in_(chunk))
        ).all()
        for found_unit, found_number, found_code in found:
            by_serial.setdefault(found_unit.serial, []).append(
                (found_unit, found_number, found_code)
            )

    def here_on_shelf(unit: SpareUnit) -> bool:
        return unit.warehouse_id == warehouse.id and UnitStatus(unit.status) in ON_SHELF

    matched: set[int] = set()
    unexpected: list[dict[str, Any]] = []
    misplaced: list[dict[str, Any]] = []
    for part_number, serial in lines:
        candidates = [
            c for c in by_serial.get(serial, []) if part_number is None or c[1] == part_number
        ]
        if not candidates:
            unexpected.append(
                {"part_number": part_number, "serial": serial, "reason": "no such unit on record"}
            )
            continue
        on_shelf = [c for c in candidates if here_on_shelf(c[0])]
        if on_shelf:
            matched.update(c[0].id for c in on_shelf if c[0].id is not None)
            continue
        for unit, number, code in candidates:
            elsewhere = unit.warehouse_id != warehouse.id
            misplaced.append(
                {
                    "spare_id": unit.id,
                    "part_number": number,
                    "serial": serial,
                    "status": unit.status,
                    "booked_warehouse_code": code,
                    "reason": f"booked at {code or 'no warehouse'}"
                    if elsewhere
                    else f"booked as {unit.status}, which is not on a shelf",
                }
            )
    on_books = session.exec(
        select(SpareUnit.id, Part.part_number, SpareUnit.serial, SpareUnit.status)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .where(
            SpareUnit.warehouse_id == warehouse.id,
            col(SpareUnit.status).in_([s.value for s in ON_SHELF]),
        )
        .order_by(col(Part.part_number), col(SpareUnit.serial))
    ).all()
    missing = [
        {"spare_id": sid, "part_number": pn, "serial": serial, "status": status}
        for sid, pn, serial, status in on_books
        if sid not in matched
    ]
    result = StocktakeResult.model_validate(
        {
            "counted": len(lines),
            "matched": len(matched),
            "duplicates": duplicates,
            "missing": missing,
            "unexpected": unexpected,
            "misplaced": misplaced,
        }
    )
    assert warehouse.id is not None
    record = Stocktake(
        warehouse_id=warehouse.id,
        counted=[{"part_number": pn, "serial": serial} for pn, serial in lines],
        result=result.model_dump(mode="json"),
        actor=actor.actor,
        note=data.note,
    )
    session.add(record)
    session.flush()
    return record


def stocktake_read(record: Stocktake, warehouse_code: str) -> StocktakeRead:
    """The stored stocktake as the API shows it."""
    return StocktakeRead(
        id=record.id or 0,
        warehouse_code=warehouse_code,
        actor=record.actor,
        note=record.note,
        created_at=record.created_at,
        result=StocktakeResult.model_validate(record.result),
    )


def get_stocktake(session: Session, *, warehouse_code: str, stocktake_id: int) -> StocktakeRead:
    """One stocktake of that warehouse."""
    warehouse = places.get_warehouse(session, code=warehouse_code)
    record = session.get(Stocktake, stocktake_id)
    if record is None or record.warehouse_id != warehouse.id:
        raise NotFound(f"stocktake {stocktake_id} of {warehouse_code!r} not found")
    return stocktake_read(record, warehouse.code)


def list_stocktakes(
    session: Session, *, warehouse_code: str, limit: int, cursor: str | None
) -> Page[StocktakeRead]:
    """A warehouse's stocktakes, oldest first."""
    warehouse = places.get_warehouse(session, code=warehouse_code)
    check_limit(limit)
    stmt: SelectOfScalar[Stocktake] = select(Stocktake).where(
        Stocktake.warehouse_id == warehouse.id
    )
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(col(Stocktake.id) > after)
    rows = list(session.exec(stmt.order_by(col(Stocktake.id)).limit(limit + 1)).all())
    more = len(rows) > limit
    items = [stocktake_read(r, warehouse.code) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


# --- The ledger replay ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerProblem:
    """A unit whose ledger does not replay to its current state."""

    spare_id: int
    serial: str
    reason: str


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    units: int
    movements: int


def ledger_totals(session: Session) -> LedgerTotals:
    """How many units and ledger rows there are (for the replay's summary)."""
    units = session.exec(select(func.count()).select_from(SpareUnit)).one()
    rows = session.exec(select(func.count()).select_from(Movement)).one()
    return LedgerTotals(units=units, movements=rows)


def _chain_problems(
    spare_id: int, serial: str, rows: Iterable[Any]
) -> tuple[list[LedgerProblem], tuple[str, int | None] | None]:
    """One unit's ledger rows, oldest first: where the chain breaks, and where it ends."""
    problems: list[LedgerProblem] = []
    prev: Any = None
    for m in rows:
        if prev is None and m.from_status is not None:
            problems.append(
                LedgerProblem(spare_id, serial, f"first row {m.id} starts from {m.from_status}")
            )
        elif prev is not None and (m.from_status, m.from_warehouse_id) != (
            prev.to_status,
            prev.to_warehouse_id,
        ):
            problems.append(
                LedgerProblem(
                    spare_id,
                    serial,
                    f"row {m.id} starts from {m.from_status}@{m.from_warehouse_id}, "
                    f"row {prev.id} ended at {prev.to_status}@{prev.to_warehouse_id}",
                )
            )
        prev = m
    return problems, None if prev is None else (prev.to_status, prev.to_warehouse_id)


def verify_ledger(session: Session) -> list[LedgerProblem]:
    """Replay the ledger; every unit whose rows do not chain to its current state, with why.

    Streams units and movements side by side in id order (constant memory at any size) and
    reads columns, not entities, so it sees the database rather than the session's objects.
    """
    units_t, moves_t = SpareUnit.__table__, Movement.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    units = conn.execute(
        sa_select(units_t.c.id, units_t.c.serial, units_t.c.status, units_t.c.warehouse_id)
        .order_by(units_t.c.id)
        .execution_options(yield_per=_STREAM)
    )
    moves = conn.execute(
        sa_select(
            moves_t.c.spare_id,
            moves_t.c.id,
            moves_t.c.from_status,
            moves_t.c.to_status,
            moves_t.c.from_warehouse_id,
            moves_t.c.to_warehouse_id,
        )
        .order_by(moves_t.c.spare_id, moves_t.c.id)
        .execution_options(yield_per=_STREAM)
    )
    groups = groupby(moves, key=lambda m: int(m.spare_id))
    group = next(groups, None)
    problems: list[LedgerProblem] = []
    for unit in units:
        # Movements always belong to a unit (foreign key), so groups never run ahead for long.
        while group is not None and group[0] < unit.id:
            group = next(groups, None)
        rows: Iterable[Any] = group[1] if group is not None and group[0] == unit.id else ()
        found, end = _chain_problems(unit.id, unit.serial, rows)
        problems += found
        if end is None:
            problems.append(LedgerProblem(unit.id, unit.serial, "no ledger rows"))
        elif end != (unit.status, unit.warehouse_id):
            problems.append(
                LedgerProblem(
                    unit.id,
                    unit.serial,
                    f"unit is {unit.status}@{unit.warehouse_id}, ledger ends at {end[0]}@{end[1]}",
                )
            )
    return problems
