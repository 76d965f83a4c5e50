"""Stocktakes (盘点): the serials counted on a warehouse's shelves compared with the books.

Rules that always hold here:
- A stocktake is a report, never an adjustment: it changes no unit and writes no movement.
- Missing: on the books at this warehouse in a shelf status (`stock.ON_SHELF`) and not
  counted. Unexpected: counted but no such unit is known. Misplaced: counted here but booked
  at another warehouse, or booked in a status that is not on a shelf. A serial counted twice
  is listed once under `duplicates`.
- Serials are looked up in chunks that stay under SQLite's bound-parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlmodel import Session, col, select

from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import NotFound
from inventory_service.platform.pagination import Page, paginate
from inventory_service.warehouse.stock import ON_SHELF
from models import Part, SpareUnit, Stocktake, UnitStatus, Warehouse
from models.spare import StocktakeCreate, StocktakeRead, StocktakeResult

_CHUNK: Final = 900  # stays under SQLite's bound-parameter limit

Line = tuple[str | None, str]  # (part number as counted, or None; serial)
Found = tuple[SpareUnit, str, str | None]  # (unit, its part number, its warehouse code)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _dedupe(data: StocktakeCreate) -> tuple[list[Line], list[str]]:
    """The counted lines once each, and the serials counted more than once."""
    seen: set[Line] = set()
    duplicates: list[str] = []
    lines: list[Line] = []
    for line in data.counted:
        key = (line.part_number, line.serial)
        if key in seen:
            duplicates.append(line.serial)
            continue
        seen.add(key)
        lines.append(key)
    return lines, duplicates


def _units_by_serial(session: Session, lines: Sequence[Line]) -> dict[str, list[Found]]:
    """Every known unit carrying one of the counted serials, by serial."""
    by_serial: dict[str, list[Found]] = {}
    for chunk in _chunks(sorted({serial for _, serial in lines})):
        found = session.exec(
            select(SpareUnit, Part.part_number, Warehouse.code)
            .join(Part, col(Part.id) == col(SpareUnit.part_id))
            .outerjoin(Warehouse, col(Warehouse.id) == col(SpareUnit.warehouse_id))
            .where(col(SpareUnit.serial).in_(chunk))
        ).all()
        for unit, number, code in found:
            by_serial.setdefault(unit.serial, []).append((unit, number, code))
    return by_serial


@dataclass(slots=True)
class _Comparison:
    matched: set[int] = field(default_factory=set)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    misplaced: list[dict[str, Any]] = field(default_factory=list)


def _misplaced(unit: SpareUnit, number: str, code: str | None, here: int) -> dict[str, Any]:
    elsewhere = unit.warehouse_id != here
    return {
        "spare_id": unit.id,
        "part_number": number,
        "serial": unit.serial,
        "status": unit.status,
        "booked_warehouse_code": code,
        "reason": f"booked at {code or 'no warehouse'}"
        if elsewhere
        else f"booked as {unit.status}, which is not on a shelf",
    }


def _compare(lines: Sequence[Line], by_serial: dict[str, list[Found]], here: int) -> _Comparison:
    """Each counted line: matched on this shelf, unexpected, or misplaced."""
    out = _Comparison()
    for part_number, serial in lines:
        candidates = [
            c for c in by_serial.get(serial, []) if part_number is None or c[1] == part_number
        ]
        if not candidates:
            out.unexpected.append(
                {"part_number": part_number, "serial": serial, "reason": "no such unit on record"}
            )
            continue
        on_shelf = [
            c[0]
            for c in candidates
            if c[0].warehouse_id == here and UnitStatus(c[0].status) in ON_SHELF
        ]
        if on_shelf:
            out.matched.update(u.id for u in on_shelf if u.id is not None)
            continue
        out.misplaced += [_misplaced(unit, number, code, here) for unit, number, code in candidates]
    return out


def _missing(session: Session, here: int, matched: set[int]) -> list[dict[str, Any]]:
    """Units on this warehouse's books in a shelf status that were not counted."""
    on_books = session.exec(
        select(SpareUnit.id, Part.part_number, SpareUnit.serial, SpareUnit.status)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .where(
            SpareUnit.warehouse_id == here,
            col(SpareUnit.status).in_([s.value for s in ON_SHELF]),
        )
        .order_by(col(Part.part_number), col(SpareUnit.serial))
    ).all()
    return [
        {"spare_id": sid, "part_number": pn, "serial": serial, "status": status}
        for sid, pn, serial, status in on_books
        if sid not in matched
    ]


def take(
    session: Session, *, actor: Caller, warehouse_code: str, data: StocktakeCreate
) -> Stocktake:
    """Compare the serials counted on a warehouse's shelves with the books; store the report."""
    warehouse = places.get_warehouse(session, code=warehouse_code)
    assert warehouse.id is not None
    lines, duplicates = _dedupe(data)
    comparison = _compare(lines, _units_by_serial(session, lines), warehouse.id)
    result = StocktakeResult.model_validate(
        {
            "counted": len(lines),
            "matched": len(comparison.matched),
            "duplicates": duplicates,
            "missing": _missing(session, warehouse.id, comparison.matched),
            "unexpected": comparison.unexpected,
            "misplaced": comparison.misplaced,
        }
    )
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


def read(record: Stocktake, warehouse_code: str) -> StocktakeRead:
    """The stored stocktake as the API shows it."""
    return StocktakeRead(
        id=record.id or 0,
        warehouse_code=warehouse_code,
        actor=record.actor,
        note=record.note,
        created_at=record.created_at,
        result=StocktakeResult.model_validate(record.result),
    )


def get(session: Session, *, warehouse_code: str, stocktake_id: int) -> StocktakeRead:
    """One stocktake of that warehouse."""
    warehouse = places.get_warehouse(session, code=warehouse_code)
    record = session.get(Stocktake, stocktake_id)
    if record is None or record.warehouse_id != warehouse.id:
        raise NotFound(f"stocktake {stocktake_id} of {warehouse_code!r} not found")
    return read(record, warehouse.code)


def list_(
    session: Session, *, warehouse_code: str, limit: int, cursor: str | None
) -> Page[StocktakeRead]:
    """A warehouse's stocktakes, oldest first."""
    warehouse = places.get_warehouse(session, code=warehouse_code)
    return paginate(
        session,
        select(Stocktake).where(Stocktake.warehouse_id == warehouse.id),
        id_column=col(Stocktake.id),
        limit=limit,
        cursor=cursor,
        to_item=lambda record: read(record, warehouse.code),
    )
