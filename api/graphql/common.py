"""What every capability's resolvers share: the info type, ids, "null where REST says 404"."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.surface import graphql_error
from inventory_service.platform.errors import NotFound, ValidationFailed
from models import bounds
from models.device import DeviceRead

Ctx = Info[Context, None]
T = TypeVar("T")


async def prefetch_device_relations(info: Ctx, devices: list[DeviceRead], *path: str) -> None:
    """Load the selected sites and component parts of a page of devices, one query each."""
    ctx = info.context
    if loaders.selects(info, *path, "site"):
        await loaders.site(ctx).load_many(sorted({d.site_code for d in devices}))
    if loaders.selects(info, *path, "components", "part"):
        numbers = {c.part_number for d in devices for c in d.components}
        await loaders.part(ctx).load_many(sorted(numbers))


async def or_none(call: Awaitable[T]) -> T | None:
    """The answer, or None where REST would answer 404 (existence does not leak)."""
    try:
        return await call
    except GraphQLError as exc:
        if isinstance(exc.original_error, NotFound):
            return None
        raise


def int_id(value: strawberry.ID) -> int:
    """An `ID` argument as the integer id REST uses (else `validation_error`)."""
    try:
        return bounds.parse_id(value)
    except ValueError as exc:
        raise graphql_error(
            ValidationFailed(
                f"{value[:40]!r} is not an id", details=[{"field": "id", "reason": str(exc)}]
            )
        ) from None
