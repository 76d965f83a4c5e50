"""The GraphQL schema at /graphql: the same services, auth, scope and error codes as REST.

Limits: operations deeper than `graphql_max_depth` (10) are rejected before any resolver runs;
documents above 4,000 tokens or 30 aliases are refused; every list is capped at 500 items;
unexpected errors are masked (code `internal_error`) and logged; introspection is a setting.
Bounds: an `ID` argument is an integer id in 1..2^31-1 (`models.bounds`) and no string
literal or variable holds NUL (else `validation_error`, as REST answers 422).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar, cast

import strawberry
from graphql import BREAK, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from starlette.concurrency import run_in_threadpool
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.types import Info
from strawberry.types.unset import UNSET, UnsetType

from api.deps import STAFF
from api.graphql import loaders
from api.graphql import types as t
from api.graphql.context import Context, bearer, get_context, graphql_error
from api.graphql.mutations import Mutation
from inventory_service.assets import places, register
from inventory_service.lifecycle import loans, repairs, replacements, reservations
from inventory_service.platform import events
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import DomainError, NotFound
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.platform.settings import Settings
from inventory_service.reach import coverage as coverage_service
from inventory_service.reach import reachability
from inventory_service.reporting import reports
from inventory_service.warehouse import catalogue, stock
from models import DeviceStatus, Role, UnitStatus, bounds
from models.device import DeviceRead
from models.part import PartRead
from models.place import CustomerRead, SiteRead, WarehouseRead
from models.reservation import LoanStatus, RepairStatus, ReservationStatus

log = logging.getLogger("inventory.graphql")
REPORT_READERS = (Role.REPORTER, Role.CUSTOMER)  # as api.deps.ReportReader
Ctx = Info[Context, None]
T = TypeVar("T")


def _sites(session: Any, **kwargs: Any) -> Any:
    page = places.list_sites(session, **kwargs)
    codes = places.customer_codes(session, {s.customer_id for s in page.items})
    items = [
        SiteRead.model_validate(s.model_dump() | {"customer_code": codes[s.customer_id]})
        for s in page.items
    ]
    return items, page.next_cursor


def _site(session: Any, **kwargs: Any) -> SiteRead:
    site = places.get_site(session, **kwargs)
    code = places.customer_codes(session, {site.customer_id})[site.customer_id]
    return SiteRead.model_validate(site.model_dump() | {"customer_code": code})


@strawberry.type
class Query:
    @strawberry.field(description="Customers the caller may see.")
    async def customers(
        self,
        info: Ctx,
        code: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Customer]:
        ctx = info.context
        page = await ctx.run(
            places.list_customers, actor=ctx.caller, code=code, limit=limit, cursor=cursor
        )
        items = [t.convert(t.Customer, CustomerRead.model_validate(c)) for c in page.items]
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
    async def sites(
        self,
        info: Ctx,
        customer_code: str | None = None,
        city: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Site]:
        ctx = info.context
        items, next_cursor = await ctx.run(
            _sites,
            actor=ctx.caller,
            customer_code=customer_code,
            city=city,
            limit=limit,
            cursor=cursor,
        )
        return t.Page(items=[t.convert(t.Site, s) for s in items], next_cursor=next_cursor)

    @strawberry.field(description="One site by code (null when not visible).")
    async def site(self, info: Ctx, code: str) -> t.Site | None:
        ctx = info.context
        try:
            found = await ctx.run(_site, actor=ctx.caller, code=code)
        except GraphQLError as exc:
            if (exc.extensions or {}).get("code") == "not_found":
                return None
            raise
        return t.convert(t.Site, found)

    @strawberry.field(description="Warehouses (stocking points).")
    async def warehouses(
        self,
        info: Ctx,
        kind: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Warehouse]:
        page = await info.context.run(places.list_warehouses, kind=kind, limit=limit, cursor=cursor)
        items = [t.convert(t.Warehouse, WarehouseRead.model_validate(w)) for w in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="The parts catalogue.")
    async def parts(
        self,
        info: Ctx,
        category: str | None = None,
        vendor: str | None = None,
        part_number: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Part]:
        page = await info.context.run(
            catalogue.list_parts,
            category=category,
            vendor=vendor,
            part_number=part_number,
            limit=limit,
            cursor=cursor,
        )
        items = [t.convert(t.Part, PartRead.model_validate(p)) for p in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One part by number (null when unknown).")
    async def part(self, info: Ctx, part_number: str) -> t.Part | None:
        found = await _or_none(info.context.run(catalogue.get_part, part_number=part_number))
        return t.convert(t.Part, PartRead.model_validate(found)) if found else None

    @strawberry.field(description="Spare units the caller may see, as `GET /spares` lists them.")
    async def spares(
        self,
        info: Ctx,
        part_number: str | None = None,
        warehouse_code: str | None = None,
        status: UnitStatus | None = None,
        genuine: bool | None = None,
        serial: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.SpareUnit]:
        ctx = info.context
        filters = stock.SpareFilter(
            part_number=part_number,
            warehouse_code=warehouse_code,
            status=status,
            genuine=genuine,
            serial=serial,
        )
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
        found = await _or_none(ctx.run(stock.get, actor=ctx.caller, spare_id=_id(id)))
        return t.convert(t.SpareUnit, found) if found else None

    @strawberry.field(description="Units per part number × warehouse × status (`/spares/summary`).")
    async def spares_summary(
        self,
        info: Ctx,
        part_number: str | None = None,
        warehouse_code: str | None = None,
        status: UnitStatus | None = None,
        genuine: bool | None = None,
    ) -> t.SpareSummaryType:
        ctx = info.context
        filters = stock.SpareFilter(
            part_number=part_number, warehouse_code=warehouse_code, status=status, genuine=genuine
        )
        found = await ctx.run(stock.summary, actor=ctx.caller, filters=filters)
        return t.convert(t.SpareSummaryType, found)

    @strawberry.field(description="One device with its components (null when not visible).")
    async def device(self, info: Ctx, id: strawberry.ID) -> t.Device | None:
        ctx = info.context
        found = await _or_none(ctx.run(register.get_device, actor=ctx.caller, device_id=_id(id)))
        if found is None:
            return None
        await _prefetch_device_relations(info, [found.device])
        return t.convert(t.Device, found.device)

    @strawberry.field(description="Devices the caller may see, as `GET /devices` lists them.")
    async def devices(
        self,
        info: Ctx,
        serial: str | None = None,
        site_code: str | None = None,
        status: DeviceStatus | None = None,
        model: str | None = None,
        vendor: str | None = None,
        customer_code: str | None = None,
        firmware_version: str | None = None,
        patch_level: str | None = None,
        patch_level_below: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Device]:
        ctx = info.context
        filters = register.DeviceFilter(
            serial=serial,
            site_code=site_code,
            model=model,
            status=status,
            customer_code=customer_code,
            firmware_version=firmware_version,
            patch_level=patch_level,
            vendor=vendor,
            patch_level_below=patch_level_below,
        )
        page = await ctx.run(
            register.list_devices, actor=ctx.caller, filters=filters, limit=limit, cursor=cursor
        )
        await _prefetch_device_relations(info, [v.device for v in page.items], "items")
        items = [t.convert(t.Device, v.device) for v in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="Repair orders (staff), as `GET /repairs` lists them.")
    async def repairs(
        self,
        info: Ctx,
        status: RepairStatus | None = None,
        vendor: str | None = None,
        rma_number: str | None = None,
        spare_id: strawberry.ID | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Repair]:
        ctx = info.context
        ctx.require(*STAFF)
        page = await ctx.run(
            repairs.list_orders,
            limit=limit,
            cursor=cursor,
            status=status,
            vendor=vendor,
            rma_number=rma_number,
            spare_id=None if spare_id is None else _id(spare_id),
        )
        return t.Page(
            items=[t.convert(t.Repair, r) for r in page.items], next_cursor=page.next_cursor
        )

    @strawberry.field(description="One repair order (staff; null when unknown).")
    async def repair(self, info: Ctx, id: strawberry.ID) -> t.Repair | None:
        ctx = info.context
        ctx.require(*STAFF)
        found = await _or_none(ctx.run(repairs.get, repair_id=_id(id)))
        return t.convert(t.Repair, found) if found else None

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
            device_id=None if device_id is None else _id(device_id),
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
            coverage_service.coverage,
            actor=ctx.caller,
            customer_code=customer_code,
            deadline_minutes=deadline_minutes,
        )
        return t.convert(t.Coverage, found)

    @strawberry.field(description="Reservations (staff), as `GET /reservations` lists them.")
    async def reservations(
        self,
        info: Ctx,
        status: ReservationStatus | None = None,
        ticket: str | None = None,
        engineer: str | None = None,
        site_code: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Reservation]:
        ctx = info.context
        ctx.require(*STAFF)
        page = await ctx.run(
            reservations.list_reservations,
            limit=limit,
            cursor=cursor,
            status=status,
            ticket=ticket,
            engineer=engineer,
            site_code=site_code,
        )
        items = [t.convert(t.Reservation, r) for r in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One reservation (staff; null when unknown).")
    async def reservation(self, info: Ctx, id: strawberry.ID) -> t.Reservation | None:
        ctx = info.context
        ctx.require(*STAFF)
        found = await _or_none(ctx.run(reservations.get, reservation_id=_id(id)))
        return t.convert(t.Reservation, found) if found else None

    @strawberry.field(description="Replacements (a customer: on its own devices).")
    async def replacements(
        self,
        info: Ctx,
        device_id: strawberry.ID | None = None,
        site_code: str | None = None,
        customer_code: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Replacement]:
        ctx = info.context
        page = await ctx.run(
            replacements.list_replacements,
            actor=ctx.caller,
            limit=limit,
            cursor=cursor,
            device_id=None if device_id is None else _id(device_id),
            site_code=site_code,
            customer_code=customer_code,
        )
        items = [t.convert(t.Replacement, r) for r in page.items]
        return t.Page(items=items, next_cursor=page.next_cursor)

    @strawberry.field(description="One replacement (null when not visible).")
    async def replacement(self, info: Ctx, id: strawberry.ID) -> t.Replacement | None:
        ctx = info.context
        found = await _or_none(ctx.run(replacements.get, actor=ctx.caller, replacement_id=_id(id)))
        return t.convert(t.Replacement, found) if found else None

    @strawberry.field(description="Standby loans (staff), as `GET /loans` lists them.")
    async def loans(
        self,
        info: Ctx,
        status: LoanStatus | None = None,
        overdue: bool | None = None,
        site_code: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> t.Page[t.Loan]:
        ctx = info.context
        ctx.require(*STAFF)
        page = await ctx.run(
            loans.list_loans,
            limit=limit,
            cursor=cursor,
            status=status,
            overdue=overdue,
            site_code=site_code,
        )
        return t.Page(
            items=[t.convert(t.Loan, x) for x in page.items], next_cursor=page.next_cursor
        )

    @strawberry.field(description="One loan (staff; null when unknown).")
    async def loan(self, info: Ctx, id: strawberry.ID) -> t.Loan | None:
        ctx = info.context
        ctx.require(*STAFF)
        found = await _or_none(ctx.run(loans.get, loan_id=_id(id)))
        return t.convert(t.Loan, found) if found else None

    @strawberry.field(
        description="The replacement report (`GET /reports/replacements`): exactly one of "
        "month (YYYY-MM), quarter (YYYY-Qn), or dateFrom and dateTo (local dates)."
    )
    async def replacement_report(
        self,
        info: Ctx,
        month: str | None = None,
        quarter: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        customer_code: str | None = None,
    ) -> t.ReplacementReportType:
        ctx = info.context
        ctx.require(*REPORT_READERS)
        try:
            period = reports.parse_period(
                month=month, quarter=quarter, date_from=date_from, date_to=date_to
            )
        except DomainError as exc:
            raise graphql_error(exc) from exc
        found = await ctx.run(
            reports.replacement_report, actor=ctx.caller, period=period, customer_code=customer_code
        )
        return t.convert(t.ReplacementReportType, found)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Committed movements of units of `partNumber`, from the time of subscribing "
        "(the dispatcher's live board). A customer may watch only parts it may see."
    )
    async def spare_changed(self, info: Ctx, part_number: str) -> AsyncIterator[t.SpareChange]:
        ctx = info.context
        await ctx.run(_check_watchable, actor=ctx.caller, part_number=part_number)
        if not events.enabled():
            raise GraphQLError(
                "live changes need INVENTORY_REDIS_URL",
                extensions={"code": "unavailable", "details": []},
            )
        async for change in events.changes(part_number):
            yield t.convert(t.SpareChange, change)


def _check_watchable(session: Any, *, actor: Caller, part_number: str) -> None:
    part = catalogue.get_part(session, part_number=part_number)
    visible = stock.visible_part_ids(session, actor)
    if visible is not None and part.id not in visible:
        raise NotFound(f"part {part_number!r} not found")


async def _prefetch_device_relations(info: Ctx, devices: list[DeviceRead], *path: str) -> None:
    """Load the selected sites and component parts of a page of devices, one query each."""
    ctx = info.context
    if loaders.selects(info, *path, "site"):
        await loaders.site(ctx).load_many(sorted({d.site_code for d in devices}))
    if loaders.selects(info, *path, "components", "part"):
        numbers = {c.part_number for d in devices for c in d.components}
        await loaders.part(ctx).load_many(sorted(numbers))


async def _or_none(call: Awaitable[T]) -> T | None:
    """The answer, or None where REST would answer 404 (existence does not leak)."""
    try:
        return await call
    except GraphQLError as exc:
        if (exc.extensions or {}).get("code") == "not_found":
            return None
        raise


def _id(value: strawberry.ID) -> int:
    """An `ID` argument as the integer id REST uses (else `validation_error`)."""
    try:
        return bounds.parse_id(value)
    except ValueError as exc:
        raise GraphQLError(
            f"{value[:40]!r} is not an id",
            extensions={
                "code": "validation_error",
                "details": [{"field": "id", "reason": str(exc)}],
            },
        ) from None


def _should_mask(error: GraphQLError) -> bool:
    """Mask anything that is not one of our coded errors (or a GraphQL validation error)."""
    if (error.extensions or {}).get("code"):
        return False
    original = error.original_error
    if original is None:
        return False  # parse and validation errors: safe, and useful to the caller
    log.error("unhandled GraphQL error", exc_info=original, extra={"path": error.path})
    return True


class CodeUnmaskedErrors(SchemaExtension):
    """Give masked errors the contract's `internal_error` code."""

    def on_operation(self) -> Any:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for error in result.errors:
            if error.extensions is None or "code" not in error.extensions:
                code = "internal_error" if error.message == MASKED else "validation_error"
                error.extensions = (error.extensions or {}) | {"code": code}


MASKED = "Unexpected error."


class _NulFinder(Visitor):
    """Finds the first string literal holding NUL (written `\\u0000` in a document)."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if bounds.NUL in node.value:
            self.found = True
            return BREAK
        return None


class RefuseNul(SchemaExtension):
    """A NUL in a string literal or a variable is `validation_error` before any resolver runs."""

    def on_execute(self) -> Any:
        ctx = self.execution_context
        field: str | None = None
        finder = _NulFinder()
        if ctx.graphql_document is not None:
            visit(ctx.graphql_document, finder)
        if finder.found:
            field = "query"
        else:
            where = bounds.nul_path(ctx.variables or {})
            if where is not None:
                field = "variables." + ".".join(str(p) for p in where)
        if field is not None:
            error = GraphQLError(
                "invalid input: a text holds a NUL character",
                extensions={
                    "code": "validation_error",
                    "details": [{"field": field, "reason": "must not hold a NUL character"}],
                },
            )
            ctx.result = ExecutionResult(data=None, errors=[error])
        yield


def build_schema(cfg: Settings) -> strawberry.Schema:
    """The schema with the safety limits of these settings."""
    extensions: list[Any] = [
        # A level is a field on the path (`{ device { site { code } } }` has 3); strawberry
        # counts the top-level field as depth 0, hence the - 1.
        lambda: QueryDepthLimiter(max_depth=cfg.graphql_max_depth - 1),
        lambda: MaxTokensLimiter(max_token_count=4000),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        RefuseNul,
        CodeUnmaskedErrors,
        lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED),
    ]
    if not cfg.graphql_introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


ACK: UnsetType = cast(UnsetType, UNSET)  # a plain `connection_ack` with no payload


class GraphQLApp(GraphQLRouter[Context, None]):
    """The router, with websocket authentication from the `connection_init` payload."""

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        if context._caller is not None:
            return ACK
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        value = params.get("Authorization", params.get("authorization"))
        try:
            await run_in_threadpool(
                context.authenticate, bearer(value if isinstance(value, str) else None)
            )
        except DomainError as exc:
            raise ConnectionRejectionError({"code": exc.code, "message": exc.message}) from exc
        return ACK


def graphql_router(cfg: Settings) -> GraphQLRouter[Context, None]:
    """The /graphql endpoint (HTTP and graphql-transport-ws); GraphiQL only in development."""
    return GraphQLApp(
        build_schema(cfg),
        context_getter=get_context,  # type: ignore[arg-type]  # a yield dependency
        graphql_ide="graphiql" if cfg.environment == "development" else None,
        allow_queries_via_get=False,
    )
