"""GraphQL queries: Customers, sites, warehouses and the device register."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from api.filters import graphql_filters
from api.graphql import types as t
from api.graphql.common import Ctx, int_id, or_none, prefetch_device_relations
from inventory_service.assets import devices, places
from inventory_service.platform.pagination import DEFAULT_LIMIT
from models.place import CustomerRead


@strawberry.type
class AssetsQuery:
    @strawberry.field(description="Customers the caller may see.")
    @graphql_filters(places.CustomerFilter)
    async def customers(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Customer]:
        ctx = info.context
        page = await ctx.run(
            places.list_customers, actor=ctx.caller, filters=filters, limit=limit, cursor=cursor
        )
        items = [t.convert(t.Customer, c) for c in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One customer by code (null when not visible).")
    async def customer(self, info: Ctx, code: str) -> t.Customer | None:
        ctx = info.context
        try:
            found = await ctx.run(places.get_customer, actor=ctx.caller, code=code)
        except GraphQLError as exc:
            if (exc.extensions or {}).get("code") == "not_found":
                return None
            raise
        return t.convert(t.Customer, CustomerRead.model_validate(found))

    @strawberry.field(description="Sites the caller may see.")
    @graphql_filters(places.SiteFilter)
    async def sites(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Site]:
        ctx = info.context
        page = await ctx.run(
            places.list_sites, actor=ctx.caller, filters=filters, limit=limit, cursor=cursor
        )
        return t.Page(
            items=[t.convert(t.Site, s) for s in page.items], next_cursor=page.next_cursor
        )

    @strawberry.field(description="One site by code (null when not visible).")
    async def site(self, info: Ctx, code: str) -> t.Site | None:
        ctx = info.context
        try:
            found = await ctx.run(places.read_site, actor=ctx.caller, code=code)
        except GraphQLError as exc:
            if (exc.extensions or {}).get("code") == "not_found":
                return None
            raise
        return t.convert(t.Site, found)

    @strawberry.field(description="Warehouses (stocking points).")
    @graphql_filters(places.WarehouseFilter, graphql_types={"kind": str | None})
    async def warehouses(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Warehouse]:
        page = await info.context.run(
            places.list_warehouses, filters=filters, limit=limit, cursor=cursor
        )
        items = [t.convert(t.Warehouse, w) for w in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One device with its components (null when not visible).")
    async def device(self, info: Ctx, id: strawberry.ID) -> t.Device | None:
        ctx = info.context
        found = await or_none(ctx.run(devices.get, actor=ctx.caller, device_id=int_id(id)))
        if found is None:
            return None
        await prefetch_device_relations(info, [found.device])
        return t.convert(t.Device, found.device)

    @strawberry.field(description="Devices the caller may see, as `GET /devices` lists them.")
    @graphql_filters(devices.DeviceFilter)
    async def devices(
        self,
        info: Ctx,
        filters: Any = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Device]:
        ctx = info.context
        page = await ctx.run(
            devices.list_, actor=ctx.caller, filters=filters, limit=limit, cursor=cursor
        )
        await prefetch_device_relations(info, [v.device for v in page.items], "items")
        items = [t.convert(t.Device, v.device) for v in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)
