"""Batched reads by key, for the relations GraphQL resolves through DataLoaders.

Rules that always hold here:
- Each function answers for a whole batch of keys with ONE statement (parts: one more for
  their approved alternates), whatever the batch size, and returns a dict keyed like its
  input; a key without a row is absent.
- The same rules as the single reads: substitutes use `catalogue.substitutes_of`; a
  customer sees movements without actors or references, as `stock.movements` shows them.
  The parents handed in (spare units) were already read through the caller's scope.
- Sites and devices are read through the same scope as `places` and `devices` (their
  scoping and row-building helpers, not a copy): a customer never gets another's.
- Nested lists are capped like every list (`check_limit`: at most 500 per parent).
- Queries never write.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.assets import devices, places
from inventory_service.platform.auth import Caller
from inventory_service.platform.pagination import check_limit
from inventory_service.warehouse import catalogue
from models import Device, DeviceHistory, Movement, Part, Site, Warehouse
from models.device import DeviceHistoryRead, DeviceRead
from models.ledger import MovementRead
from models.part import PartRead
from models.place import SiteRead, WarehouseRead


def parts_by_number(session: Session, numbers: Collection[str]) -> dict[str, PartRead]:
    """Catalogue parts by part number."""
    rows = session.exec(select(Part).where(col(Part.part_number).in_(set(numbers)))).all()
    return {p.part_number: p for p in catalogue.read_parts(session, rows)}


def warehouses_by_code(session: Session, codes: Collection[str]) -> dict[str, WarehouseRead]:
    """Warehouses by code."""
    rows = session.exec(select(Warehouse).where(col(Warehouse.code).in_(set(codes)))).all()
    return {w.code: WarehouseRead.model_validate(w) for w in rows}


def substitutes_by_number(session: Session, numbers: Collection[str]) -> dict[str, list[PartRead]]:
    """For each part number, the parts that may replace it (itself first, then by number)."""
    parts = session.exec(select(Part).where(col(Part.part_number).in_(set(numbers)))).all()
    found = catalogue.substitutes_of(session, parts)
    return {
        part.part_number: catalogue.read_parts(session, found[part.id])
        for part in parts
        if part.id is not None
    }


def movements_by_spare(
    session: Session, *, actor: Caller, spare_ids: Collection[int], limit: int
) -> dict[int, list[MovementRead]]:
    """The first `limit` ledger rows of each unit, oldest first."""
    check_limit(limit)
    rank = (
        func.row_number()
        .over(partition_by=col(Movement.spare_id), order_by=col(Movement.id))
        .label("rank")
    )
    ranked = (
        select(col(Movement.id).label("id"), rank)
        .where(col(Movement.spare_id).in_(set(spare_ids)))
        .subquery()
    )
    source, target = aliased(Warehouse), aliased(Warehouse)
    stmt = (
        select(Movement, source.code, target.code)
        .join(ranked, ranked.c.id == col(Movement.id))
        .outerjoin(source, col(source.id) == col(Movement.from_warehouse_id))
        .outerjoin(target, col(target.id) == col(Movement.to_warehouse_id))
        .where(ranked.c.rank <= limit)
        .order_by(col(Movement.spare_id), col(Movement.id))
    )
    answer: dict[int, list[MovementRead]] = {}
    for movement, src, dst in session.exec(stmt).all():
        answer.setdefault(movement.spare_id, []).append(
            MovementRead.model_validate(
                policy.redact(
                    actor,
                    movement.model_dump() | {"from_warehouse_code": src, "to_warehouse_code": dst},
                )
            )
        )
    return answer


def sites_by_code(
    session: Session, *, actor: Caller, codes: Collection[str]
) -> dict[str, SiteRead]:
    """Sites by code, within the caller's scope."""
    stmt = places._site_scope(select(Site).where(col(Site.code).in_(set(codes))), actor)
    rows = session.exec(stmt).all()
    customers = places.customer_codes(session, {s.customer_id for s in rows})
    return {
        s.code: SiteRead.model_validate(
            s.model_dump() | {"customer_code": customers[s.customer_id]}
        )
        for s in rows
    }


def devices_by_site(
    session: Session, *, actor: Caller, site_codes: Collection[str], limit: int
) -> dict[str, list[DeviceRead]]:
    """The first `limit` devices of each site (by id) with their components, in scope."""
    check_limit(limit)
    rank = (
        func.row_number()
        .over(partition_by=col(Device.site_id), order_by=col(Device.id))
        .label("rank")
    )
    ranked = (
        select(col(Device.id).label("id"), rank)
        .join(Site, col(Site.id) == col(Device.site_id))
        .where(col(Site.code).in_(set(site_codes)))
        .subquery()
    )
    stmt = (
        devices.scoped(devices.device_rows(), actor)
        .join(ranked, ranked.c.id == col(Device.id))
        .where(ranked.c.rank <= limit)
        .order_by(col(Device.id))
    )
    answer: dict[str, list[DeviceRead]] = {}
    for view in devices.views(session, session.execute(stmt).all()):
        answer.setdefault(view.device.site_code, []).append(view.device)
    return answer


def history_by_device(
    session: Session, *, actor: Caller, device_ids: Collection[int], limit: int
) -> dict[int, list[DeviceHistoryRead]]:
    """The first `limit` history rows of each device, oldest first."""
    check_limit(limit)
    rank = (
        func.row_number()
        .over(partition_by=col(DeviceHistory.device_id), order_by=col(DeviceHistory.id))
        .label("rank")
    )
    ranked = (
        select(col(DeviceHistory.id).label("id"), rank)
        .where(col(DeviceHistory.device_id).in_(set(device_ids)))
        .subquery()
    )
    rows = session.exec(
        select(DeviceHistory)
        .join(ranked, ranked.c.id == col(DeviceHistory.id))
        .where(ranked.c.rank <= limit)
        .order_by(col(DeviceHistory.device_id), col(DeviceHistory.id))
    ).all()
    answer: dict[int, list[DeviceHistoryRead]] = {}
    for row in rows:
        answer.setdefault(row.device_id, []).append(
            DeviceHistoryRead.model_validate(policy.redact(actor, row.model_dump()))
        )
    return answer
