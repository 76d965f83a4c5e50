"""The GraphQL schema at /graphql: the same services, auth, scope and error codes as REST.

Limits: operations deeper than `graphql_max_depth` (10) or costlier than `graphql_max_cost`
(50,000, see `api.graphql.limits`) are rejected before any resolver runs; documents above 4,000
tokens or 30 aliases are refused; every list is capped at 500 items; an answer over
`graphql_max_response_mb` is replaced by a `query_too_complex` error;
unexpected errors are masked (code `internal_error`) and logged; introspection is a setting.
Bounds: an `ID` argument is an integer id in 1..2^31-1 (`models.bounds`) and no string
literal or variable holds NUL (else `validation_error`, as REST answers 422).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import strawberry
from cross_web import AsyncHTTPRequestAdapter
from graphql import BREAK, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
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
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult as Answer
from strawberry.types.unset import UNSET, UnsetType

from api import web
from api.graphql import types as t
from api.graphql.common import Ctx
from api.graphql.compiled.documents import Documents, Encoded, LearnDocuments
from api.graphql.context import Context, bearer, get_context
from api.graphql.limits import CostLimiter, ResponseSizeCap
from api.graphql.mutations import Mutation
from api.graphql.queries import Query
from api.routing import Pruned
from api.surface import graphql_error
from inventory_service.platform import events
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import (
    DomainError,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from inventory_service.platform.settings import Settings
from inventory_service.warehouse import catalogue, stock
from models import bounds

log = logging.getLogger("inventory.graphql")


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
            raise graphql_error(ServiceUnavailable("live changes need INVENTORY_REDIS_URL"))
        async for change in events.changes(part_number):
            yield t.convert(t.SpareChange, change)


def _check_watchable(session: Any, *, actor: Caller, part_number: str) -> None:
    part = catalogue.get_part(session, part_number=part_number)
    visible = stock.visible_part_ids(session, actor)
    if visible is not None and part.id not in visible:
        raise NotFound(f"part {part_number!r} not found")


def _should_mask(error: GraphQLError) -> bool:
    """Mask anything that is not one of our coded errors (or a GraphQL validation error)."""
    if (error.extensions or {}).get("code"):
        return False
    # parse and validation errors (no original error): safe, and useful to the caller
    return error.original_error is not None


MAX_MESSAGE = 300  # characters: a message never echoes more than an excerpt of the document


class CodeUnmaskedErrors(SchemaExtension):
    """Give masked errors the contract's `internal_error` code; cut long messages (a validation
    message quotes the document's names, which may be as long as the body allows)."""

    def on_operation(self) -> Any:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for error in result.errors:
            if error.extensions is None or "code" not in error.extensions:
                code = "internal_error" if error.message == MASKED else "validation_error"
                error.extensions = (error.extensions or {}) | {"code": code}
            if len(error.message) > MAX_MESSAGE:
                error.message = error.message[: MAX_MESSAGE - 1] + "…"


MASKED = "Unexpected error."


# Refusals a client caused are not the service's trouble: INFO, without a trace; these two
# tell an operator something (load, an attack), hence WARNING.
WARNING_CODES = frozenset({"service_unavailable", "query_too_complex"})


class InventorySchema(strawberry.Schema):
    """strawberry's schema, logging each error at the level it deserves.

    strawberry logs every error at ERROR with its traceback; here an error carrying a contract
    code (not_found, forbidden, validation_error, ...) or a validation error of the document is
    one INFO line (WARNING for an unavailable database or a refused cost), and only an
    unexpected error is an ERROR with its traceback (it is masked for the client).
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: Any | None = None
    ) -> None:
        for error in errors:
            code = (error.extensions or {}).get("code")
            if code is None and error.original_error is not None:
                log.error(
                    "unhandled GraphQL error",
                    exc_info=error.original_error,
                    extra={"path": error.path},
                )
                continue
            level = logging.WARNING if code in WARNING_CODES else logging.INFO
            log.log(
                level,
                "GraphQL error refused",
                extra={
                    "code": code or "validation_error",
                    "reason": error.message[:200],
                    "path": error.path,
                },
            )


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
            error = graphql_error(
                ValidationFailed(
                    "invalid input: a text holds a NUL character",
                    details=[{"field": field, "reason": "must not hold a NUL character"}],
                )
            )
            ctx.result = ExecutionResult(data=None, errors=[error])
        yield


def build_schema(cfg: Settings, documents: Documents | None = None) -> strawberry.Schema:
    """The schema with the safety limits of these settings (learning compiled `documents`)."""
    extensions: list[Any] = [
        # A level is a field on the path (`{ device { site { code } } }` has 3); strawberry
        # counts the top-level field as depth 0, hence the - 1.
        lambda: QueryDepthLimiter(max_depth=cfg.graphql_max_depth - 1),
        lambda: MaxTokensLimiter(max_token_count=4000),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: CostLimiter(max_cost=cfg.graphql_max_cost),
        lambda: ResponseSizeCap(max_bytes=int(cfg.graphql_max_response_mb * 1024 * 1024)),
        RefuseNul,
        CodeUnmaskedErrors,
        lambda: MaskErrors(should_mask_error=_should_mask, error_message=MASKED),
    ]
    if not cfg.introspection:
        extensions.append(DisableIntrospection)
    if documents is not None:
        # Last: it sees a document only once every limit above has let it through.
        extensions.append(lambda: LearnDocuments(documents))
    return InventorySchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


ACK: UnsetType = cast(UnsetType, UNSET)  # a plain `connection_ack` with no payload


class GraphQLApp(Pruned, GraphQLRouter[Context, None]):
    """The router, with websocket authentication from the `connection_init` payload, and the
    compiled documents tried first for a query over HTTP POST (`api.graphql.compiled`)."""

    def __init__(
        self, schema: strawberry.Schema, *, documents: Documents | None, **kwargs: Any
    ) -> None:
        super().__init__(schema, **kwargs)
        self.documents = documents
        self.strawberry_schema = schema

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> Answer:
        if (
            self.documents is not None
            and request_adapter.method == "POST"
            and request_data.protocol == "http"
        ):
            answered = await self.documents.answer(self.strawberry_schema, request_data, context)
            request.app.state.metrics.graphql.labels(
                path="general" if answered is None else "compiled"
            ).inc()
            if answered is not None:
                return answered
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    def encode_json(self, data: object) -> str | bytes:
        """The response body; a compiled answer is written already."""
        written = data.get("data") if isinstance(data, dict) else None
        if isinstance(written, Encoded):
            return written.body
        return super().encode_json(data)

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

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the service's own assets, with the token explained on the page."""
        return web.graphiql_page(request)


def graphql_router(cfg: Settings) -> GraphQLRouter[Context, None]:
    """The /graphql endpoint (HTTP and graphql-transport-ws); GraphiQL only in development."""
    documents = (
        Documents(
            readers=cfg.db_pool_size,
            max_cost=cfg.graphql_max_cost,
            max_bytes=int(cfg.graphql_max_response_mb * 1024 * 1024),
        )
        if cfg.graphql_compiled
        else None
    )
    return GraphQLApp(
        build_schema(cfg, documents),
        documents=documents,
        context_getter=get_context,  # a yield dependency
        graphql_ide="graphiql" if cfg.environment == "development" else None,
        allow_queries_via_get=False,
    )
