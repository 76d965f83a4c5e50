"""GraphQL queries: Reachability and coverage."""

from __future__ import annotations

import strawberry

from api.graphql import types as t
from api.graphql.common import (
    Ctx,
    int_id,
)
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.reach import coverage as coverage_service
from inventory_service.reach import reachability


@strawberry.type
class ReachQuery:
    @strawberry.field(
        description="Can a genuine replacement reach the site by the deadline "
        "(`GET /availability`): by siteCode and partNumber, or by deviceId and slot."
    )
    async def availability(
        self,
        info: Ctx,
        site_code: str | None = None,
        part_number: str | None = None,
        device_id: strawberry.ID | None = None,
        slot: str | None = None,
        deadline_minutes: int | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> t.Availability:
        ctx = info.context
        found = await ctx.run(
            reachability.availability,
            actor=ctx.caller,
            site_code=site_code,
            part_number=part_number,
            device_id=None if device_id is None else int_id(device_id),
            slot=slot,
            deadline_minutes=deadline_minutes,
            limit=limit,
        )
        return t.convert(t.Availability, found)

    @strawberry.field(description="Every site × installed part: covered or not (`GET /coverage`).")
    async def coverage(
        self, info: Ctx, customer_code: str | None = None, deadline_minutes: int | None = None
    ) -> t.Coverage:
        ctx = info.context
        found = await ctx.run(
            coverage_service.read,
            actor=ctx.caller,
            customer_code=customer_code,
            deadline_minutes=deadline_minutes,
        )
        return t.convert(t.Coverage, found)
