"""Repair orders (return-for-repair with the vendor's RMA)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import SessionDep, Staff, Stockkeeper
from api.filters import query_filters
from api.idempotency import IdempotencyDep
from api.routing import Router
from api.schemas import Cursor, Limit, PageOf, PathId
from inventory_service.lifecycle import repairs
from inventory_service.platform.pagination import DEFAULT_LIMIT
from models.reservation import RepairCreate, RepairRead, RepairReceive

router = Router(prefix="/repairs", tags=["lifecycle"])


@router.post("", status_code=201, response_model=RepairRead)
def send_to_repair(
    data: RepairCreate, session: SessionDep, actor: Stockkeeper, idem: IdempotencyDep
) -> object:
    """Send a faulty unit to its vendor (faulty → at_repair)."""
    order = repairs.send(session, actor=actor, data=data)
    return idem.respond(session, 201, repairs.read(session, order))


@router.post("/{repair_id}/receive", response_model=RepairRead)
def receive_from_repair(
    repair_id: PathId,
    data: RepairReceive,
    session: SessionDep,
    actor: Stockkeeper,
    idem: IdempotencyDep,
) -> object:
    """The vendor's verdict: repaired (available, refurbished) or scrapped."""
    order = repairs.receive(session, actor=actor, repair_id=repair_id, outcome=data.outcome)
    return idem.respond(session, 200, repairs.read(session, order))


RepairFilters = Annotated[repairs.RepairFilter, Depends(query_filters(repairs.RepairFilter))]


@router.get("", response_model=PageOf[RepairRead])
def list_repairs(
    session: SessionDep,
    actor: Staff,
    filters: RepairFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[RepairRead]:
    """Repair orders, by status, vendor, RMA number or unit."""
    page = repairs.list_orders(session, actor=actor, filters=filters, limit=limit, cursor=cursor)
    return PageOf[RepairRead](items=page.items, next_cursor=page.next_cursor)


@router.get("/{repair_id}", response_model=RepairRead)
def get_repair(repair_id: PathId, session: SessionDep, actor: Staff) -> RepairRead:
    """One repair order."""
    return repairs.get(session, actor=actor, repair_id=repair_id)
