"""GraphQL queries: The parts catalogue and the spare units."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import Session

from api.filters import graphql_filters
from api.graphql import loaders
from api.graphql import types as t
from api.graphql.common import (
    Ctx,
    int_id,
    or_none,
)
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.warehouse import catalogue, stock
from models.part import PartRead


def _part(session: Session, *, part_number: str) -> PartRead:
    return catalogue.read_part(session, catalogue.get_part(session, part_number=part_number))


@strawberry.type
class WarehouseQuery:
    @strawberry.field(description="The parts catalogue.")
    @graphql_filters(catalogue.PartFilter)
    async def parts(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Part]:
        page = await info.context.run(
            catalogue.list_parts, filters=filters, limit=limit, cursor=cursor
        )
        items = [t.convert(t.Part, p) for p in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One part by number (null when unknown).")
    async def part(self, info: Ctx, part_number: str) -> t.Part | None:
        found = await or_none(info.context.run(_part, part_number=part_number))
        return t.convert(t.Part, found) if found else None

    @strawberry.field(description="Spare units the caller may see, as `GET /spares` lists them.")
    @graphql_filters(stock.SpareFilter)
    async def spares(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.SpareUnit]:
        ctx = info.context
        page = await ctx.run(
            stock.list_units, actor=ctx.caller, limit=limit, cursor=cursor, filters=filters
        )
        if loaders.selects(info, "items", "part"):
            await loaders.part(ctx).load_many([u.part_number for u in page.items])
        if loaders.selects(info, "items", "warehouse"):
            codes = {u.warehouse_code for u in page.items if u.warehouse_code is not None}
            await loaders.warehouse(ctx).load_many(sorted(codes))
        items = [t.convert(t.SpareUnit, u) for u in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One spare unit (null when not visible).")
    async def spare(self, info: Ctx, id: strawberry.ID) -> t.SpareUnit | None:
        ctx = info.context
        found = await or_none(ctx.run(stock.get, actor=ctx.caller, spare_id=int_id(id)))
        return t.convert(t.SpareUnit, found) if found else None

    @strawberry.field(description="Units per part number × warehouse × status (`/spares/summary`).")
    @graphql_filters(stock.SpareFilter)
    async def spares_summary(self, info: Ctx, filters: Any = None) -> t.SpareSummaryType:
        ctx = info.context
        found = await ctx.run(stock.summary, actor=ctx.caller, filters=filters)
        return t.convert(t.SpareSummaryType, found)
