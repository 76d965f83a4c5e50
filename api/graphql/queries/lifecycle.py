"""GraphQL queries: Reservations, replacements, repairs and loans."""

from __future__ import annotations

from typing import Any

import strawberry

from api.filters import graphql_filters
from api.graphql import types as t
from api.graphql.common import (
    Ctx,
    int_id,
    or_none,
)
from api.graphql.context import may
from inventory_service.lifecycle import loans, repairs, replacements, reservations
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.policy import Operation


@strawberry.type
class LifecycleQuery:
    @strawberry.field(
        description="Repair orders (staff), as `GET /repairs` lists them.",
        permission_classes=may(Operation.READ_INTERNAL),
    )
    @graphql_filters(repairs.RepairFilter, graphql_types={"spare_id": strawberry.ID | None})
    async def repairs(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Repair]:
        ctx = info.context
        page = await ctx.run(
            repairs.list_orders, actor=ctx.caller, filters=filters, limit=limit, cursor=cursor
        )
        return t.Page(
            items=[t.convert(t.Repair, r) for r in page.items], next_cursor=page.next_cursor
        )

    @strawberry.field(
        description="One repair order (staff; null when unknown).",
        permission_classes=may(Operation.READ_INTERNAL),
    )
    async def repair(self, info: Ctx, id: strawberry.ID) -> t.Repair | None:
        ctx = info.context
        found = await or_none(ctx.run(repairs.get, actor=ctx.caller, repair_id=int_id(id)))
        return t.convert(t.Repair, found) if found else None

    @strawberry.field(
        description="The fault record's edit history of a replacement (staff), oldest first.",
        permission_classes=may(Operation.READ_INTERNAL),
    )
    async def replacement_edits(
        self,
        info: Ctx,
        id: strawberry.ID,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.ReplacementEdit]:
        ctx = info.context
        page = await ctx.run(
            replacements.edits,
            actor=ctx.caller,
            replacement_id=int_id(id),
            limit=limit,
            cursor=cursor,
        )
        items = [t.convert(t.ReplacementEdit, e) for e in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(
        description="Reservations (staff), as `GET /reservations` lists them.",
        permission_classes=may(Operation.READ_INTERNAL),
    )
    @graphql_filters(reservations.ReservationFilter)
    async def reservations(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Reservation]:
        ctx = info.context
        page = await ctx.run(
            reservations.list_reservations,
            actor=ctx.caller,
            filters=filters,
            limit=limit,
            cursor=cursor,
        )
        items = [t.convert(t.Reservation, r) for r in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(
        description="One reservation (staff; null when unknown).",
        permission_classes=may(Operation.READ_INTERNAL),
    )
    async def reservation(self, info: Ctx, id: strawberry.ID) -> t.Reservation | None:
        ctx = info.context
        found = await or_none(
            ctx.run(reservations.get, actor=ctx.caller, reservation_id=int_id(id))
        )
        return t.convert(t.Reservation, found) if found else None

    @strawberry.field(description="Replacements (a customer: on its own devices).")
    @graphql_filters(
        replacements.ReplacementFilter, graphql_types={"device_id": strawberry.ID | None}
    )
    async def replacements(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Replacement]:
        ctx = info.context
        page = await ctx.run(
            replacements.list_replacements,
            actor=ctx.caller,
            filters=filters,
            limit=limit,
            cursor=cursor,
        )
        items = [t.convert(t.Replacement, r) for r in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One replacement (null when not visible).")
    async def replacement(self, info: Ctx, id: strawberry.ID) -> t.Replacement | None:
        ctx = info.context
        found = await or_none(
            ctx.run(replacements.get, actor=ctx.caller, replacement_id=int_id(id))
        )
        return t.convert(t.Replacement, found) if found else None

    @strawberry.field(
        description="Standby loans, as `GET /loans` lists them (a customer: to its sites).",
        permission_classes=may(Operation.READ_LOANS),
    )
    @graphql_filters(loans.LoanFilter)
    async def loans(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Loan]:
        ctx = info.context
        page = await ctx.run(
            loans.list_loans, actor=ctx.caller, filters=filters, limit=limit, cursor=cursor
        )
        return t.Page(
            items=[t.convert(t.Loan, x) for x in page.items], next_cursor=page.next_cursor
        )

    @strawberry.field(
        description="One loan (null when unknown or not visible).",
        permission_classes=may(Operation.READ_LOANS),
    )
    async def loan(self, info: Ctx, id: strawberry.ID) -> t.Loan | None:
        ctx = info.context
        found = await or_none(ctx.run(loans.get, actor=ctx.caller, loan_id=int_id(id)))
        return t.convert(t.Loan, found) if found else None
