"""The customer's spares list (备品备件清单): the rows behind the CSV / XLSX export.

Rules that always hold here:
- The rows are the caller's scope of spare units with the list's filters (`stock.scoped`,
  `stock.filtered`), so a customer exports exactly what it may list.
- Without a `status` filter the list holds what the contractor keeps for the customer:
  every unit but installed and scrapped ones (`HELD`). Ordered by part, warehouse, serial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlmodel import Session, col, select

from inventory_service.platform.auth import Caller
from inventory_service.warehouse.stock import SpareFilter, filtered, scoped
from models import Part, SpareUnit, UnitStatus, Warehouse

S = UnitStatus

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
    firmware_version: str | None = None


def list_(session: Session, *, actor: Caller, filters: SpareFilter) -> list[ExportRow]:
    """The spares list (备品备件清单): held units (any status if `status` is given), by part."""
    stmt = (
        select(SpareUnit, Part, Warehouse.code, Warehouse.name)
        .join(Part, col(Part.id) == col(SpareUnit.part_id))
        .outerjoin(Warehouse, col(Warehouse.id) == col(SpareUnit.warehouse_id))
    )
    stmt = filtered(scoped(stmt, session, actor), filters)
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
            firmware_version=unit.firmware_version,
        )
        for unit, part, code, name in session.exec(stmt).all()
    ]
