"""Repair orders: a faulty unit goes to its vendor under an RMA number and comes back
repaired (available again, as `refurbished`) or is scrapped.

Rules: only a `faulty` unit can be sent; an order is received once; each step moves the unit
through `stock.transition`, so every change has its ledger row (reference: the RMA number).
A repaired unit keeps its `genuine` flag and takes the repair as its provenance: supplier =
the repair's vendor, channel `repair`, document = the RMA number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import InvalidTransition, NotFound, ValidationFailed
from inventory_service.platform.pagination import Page, paginate
from inventory_service.policy import Operation
from inventory_service.warehouse import stock
from models import Part, RepairOrder, RepairStatus, SpareUnit, UnitStatus, bounds
from models.base import utcnow
from models.reservation import RepairCreate, RepairOutcome, RepairRead
from models.spare import Condition

ALLOWED: Final[dict[RepairStatus, frozenset[RepairStatus]]] = {
    RepairStatus.OPEN: frozenset({RepairStatus.REPAIRED, RepairStatus.SCRAPPED}),
    RepairStatus.REPAIRED: frozenset(),
    RepairStatus.SCRAPPED: frozenset(),
}
REPAIR_CHANNEL: Final = "repair"
UNIT_OUTCOME: Final = {
    RepairStatus.REPAIRED: UnitStatus.AVAILABLE,
    RepairStatus.SCRAPPED: UnitStatus.SCRAPPED,
}


def send(session: Session, *, actor: Caller, data: RepairCreate) -> RepairOrder:
    """Send a faulty unit to its vendor for repair."""
    try:
        unit = stock.lock_unit(session, spare_id=data.spare_id)
    except NotFound:
        raise ValidationFailed.field("spare_id", f"unknown spare unit {data.spare_id}") from None
    order = RepairOrder(
        spare_id=data.spare_id,
        vendor=data.vendor,
        rma_number=data.rma_number,
        status=RepairStatus.OPEN.value,
        actor=actor.actor,
    )
    stock.transition(
        session,
        unit,
        UnitStatus.AT_REPAIR,
        actor=actor,
        action="sent_to_repair",
        reference=f"RMA {data.rma_number}",
    )
    session.add(order)
    session.flush()
    return order


def receive(
    session: Session, *, actor: Caller, repair_id: int, outcome: RepairOutcome
) -> RepairOrder:
    """Close a repair order: the unit is available again (refurbished) or scrapped."""
    order = session.exec(
        select(RepairOrder).where(RepairOrder.id == repair_id).with_for_update()
    ).first()
    if order is None:
        raise NotFound(f"repair order {repair_id} not found")
    current, target = RepairStatus(order.status), RepairStatus(outcome.value)
    if target not in ALLOWED[current]:
        raise InvalidTransition(
            f"repair order {repair_id} is {current.value}; it cannot become {target.value}",
            details=[{"field": "outcome", "reason": f"current status is {current.value}"}],
        )
    unit = stock.lock_unit(session, spare_id=order.spare_id)
    if target is RepairStatus.REPAIRED:
        unit.supplier, unit.channel, unit.document = (
            order.vendor,
            REPAIR_CHANNEL,
            order.rma_number,
        )
    stock.transition(
        session,
        unit,
        UNIT_OUTCOME[target],
        actor=actor,
        action="repaired" if target is RepairStatus.REPAIRED else "scrapped",
        reference=f"RMA {order.rma_number}",
        condition=Condition.REFURBISHED if target is RepairStatus.REPAIRED else None,
    )
    order.status = target.value
    order.received_at = utcnow()
    session.add(order)
    session.flush()
    return order


def reads(session: Session, orders: list[RepairOrder]) -> list[RepairRead]:
    ids = {o.spare_id for o in orders}
    units = {
        unit_id: (serial, number)
        for unit_id, serial, number in session.exec(
            select(SpareUnit.id, SpareUnit.serial, Part.part_number)
            .join(Part, col(Part.id) == col(SpareUnit.part_id))
            .where(col(SpareUnit.id).in_(ids))
        ).all()
    }
    return [
        RepairRead.model_validate(
            o.model_dump() | {"serial": units[o.spare_id][0], "part_number": units[o.spare_id][1]}
        )
        for o in orders
    ]


def read(session: Session, order: RepairOrder) -> RepairRead:
    """The order as the API shows it."""
    return reads(session, [order])[0]


def get(session: Session, *, actor: Caller, repair_id: int) -> RepairRead:
    """One repair order (staff only)."""
    policy.authorize(actor, Operation.READ_INTERNAL)
    order = session.get(RepairOrder, repair_id)
    if order is None:
        raise NotFound(f"repair order {repair_id} not found")
    return read(session, order)


@dataclass(frozen=True, slots=True)
class RepairFilter:
    """The filters of the repair-order list (None: any)."""

    status: RepairStatus | None = None
    vendor: bounds.ShortFilter = None
    rma_number: bounds.NameFilter = None
    spare_id: bounds.IdFilter = None


def list_orders(
    session: Session,
    *,
    actor: Caller,
    limit: int,
    cursor: str | None,
    filters: RepairFilter,
) -> Page[RepairRead]:
    """Repair orders, filtered (staff only)."""
    policy.authorize(actor, Operation.READ_INTERNAL)
    stmt = select(RepairOrder)
    if filters.status is not None:
        stmt = stmt.where(RepairOrder.status == filters.status.value)
    if filters.vendor is not None:
        stmt = stmt.where(RepairOrder.vendor == filters.vendor)
    if filters.rma_number is not None:
        stmt = stmt.where(RepairOrder.rma_number == filters.rma_number)
    if filters.spare_id is not None:
        stmt = stmt.where(RepairOrder.spare_id == filters.spare_id)
    page = paginate(session, stmt, id_column=RepairOrder.id, limit=limit, cursor=cursor)
    return Page(items=reads(session, page.items), next_cursor=page.next_cursor)
