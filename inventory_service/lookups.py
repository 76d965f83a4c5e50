"""Batched reads by key, for the relations GraphQL resolves through DataLoaders.

Rules that always hold here:
- Each function answers for a whole batch of keys with ONE statement, whatever the batch
  size, and returns a dict keyed like its input; a key without a row is absent.
- The same rules as the single reads: substitutes use `catalogue.part_may_replace`; a
  customer sees movements without actors or references, as `stock.movements` shows them.
  The parents handed in (spare units) were already read through the caller's scope.
- Nested lists are capped like every list (`check_limit`: at most 500 per parent).
- Queries never write.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from inventory_service import catalogue
from inventory_service.auth import Caller
from inventory_service.pagination import check_limit
from models import Movement, Part, Warehouse
from models.ledger import MovementRead
from models.part import PartRead
from models.place import WarehouseRead


def parts_by_number(session: Session, numbers: Collection[str]) -> dict[str, PartRead]:
    """Catalogue parts by part number."""
    rows = session.exec(select(Part).where(col(Part.part_number).in_(set(numbers)))).all()
    return {p.part_number: PartRead.model_validate(p) for p in rows}


def warehouses_by_code(session: Session, codes: Collection[str]) -> dict[str, WarehouseRead]:
    """Warehouses by code."""
    rows = session.exec(select(Warehouse).where(col(Warehouse.code).in_(set(codes)))).all()
    return {w.code: WarehouseRead.model_validate(w) for w in rows}


def substitutes_by_number(session: Session, numbers: Collection[str]) -> dict[str, list[PartRead]]:
    """For each part number, the parts that may replace it (itself first, then by number)."""
    wanted = set(numbers)
    categories = select(Part.category).where(col(Part.part_number).in_(wanted))
    pool = session.exec(
        select(Part).where(col(Part.category).in_(categories)).order_by(col(Part.part_number))
    ).all()
    answer: dict[str, list[PartRead]] = {}
    for part in pool:
        if part.part_number not in wanted:
            continue
        others = [
            q
            for q in pool
            if q.id != part.id
            and q.category == part.category
            and catalogue.part_may_replace(part, q)
        ]
        answer[part.part_number] = [PartRead.model_validate(p) for p in (part, *others)]
    return answer


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
                movement.model_dump()
                | {"from_warehouse_code": src, "to_warehouse_code": dst}
                | ({"actor": "contractor", "reference": None} if actor.is_customer else {})
            )
        )
    return answer
