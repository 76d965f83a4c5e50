"""The compiled documents of one app: learned from the general execution, LRU-bounded, and the
answer a request gets from them before strawberry would execute it."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLSchema
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from api.graphql.compiled import run
from api.graphql.compiled.leaves import Unanswerable
from api.graphql.compiled.plan import Plan, compile_document
from api.graphql.context import Context
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import DomainError
from models import bounds

log = logging.getLogger("inventory.graphql")

MAX_DOCUMENTS = 256  # plans kept (the least recently used goes first)
MAX_QUERY_CHARS = 32_768  # a longer document text is never kept (it would only cost memory)


class Encoded(dict[str, Any]):
    """An answer's `data`, already written as the whole response body (see `GraphQLApp`)."""

    def __init__(self, body: str) -> None:
        super().__init__()
        self.body = body


class Documents:
    """Plans by (document text, operation name); None for a document that has none."""

    def __init__(
        self,
        *,
        readers: int,
        max_cost: int | None = None,
        max_bytes: int | None = None,
        size: int = MAX_DOCUMENTS,
    ) -> None:
        self.size = size
        self.max_cost = max_cost  # `limits.CostLimiter`'s limit, checked again per request
        self.max_bytes = max_bytes  # `limits.ResponseSizeCap`'s
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()
        # At most `readers` plans hold a database connection at once (the pool's size): a
        # burst waits on the event loop for a pooled connection, instead of opening and
        # closing overflow ones (or holding threads that wait for one).
        self._readers = asyncio.Semaphore(readers)

    def learn(
        self,
        schema: GraphQLSchema,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
    ) -> None:
        """Keep the plan of a document the general execution has just validated."""
        key = (query, operation_name)
        if key in self._plans or len(query) > MAX_QUERY_CHARS:
            return
        self._plans[key] = compile_document(schema, document, operation_name)
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)

    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        """The plan of a document learned before (None: unknown, or not compilable)."""
        key = (query, operation_name)
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
        return found

    async def answer(
        self, schema: strawberry.Schema, request: GraphQLRequestData, context: Context
    ) -> ExecutionResult | None:
        """The answer of a compiled document; None: strawberry executes the request."""
        query = request.query
        plan = self.plan(query, request.operation_name) if isinstance(query, str) else None
        if plan is None:
            return None
        try:
            if request.variables and bounds.nul_path(request.variables) is not None:
                raise Unanswerable  # refused by `RefuseNul` on the general path
            if (
                self.max_cost is not None
                and run.cost(plan, request.variables, self.max_cost) > self.max_cost
            ):
                raise Unanswerable  # refused by `limits.CostLimiter` on the general path
            calls = run.arguments(plan, schema, run.variable_values(plan, request.variables))
            async with self._readers:
                body = await run_in_threadpool(
                    self._answer, plan, calls, context.db, context.caller
                )
        except (Unanswerable, DomainError):
            return None  # the general execution answers it, or reports the error
        except Exception:  # noqa: BLE001  # the general execution reports it (masked) if real
            log.warning("compiled document handed back", exc_info=True)
            return None
        return ExecutionResult(data=Encoded(body), errors=None)

    def _answer(
        self, plan: Plan, calls: Sequence[dict[str, Any] | None], db: Database, caller: Caller
    ) -> str:
        """Read and write the answer in one trip to the thread pool, in a read session of its
        own."""
        session: Session
        with db.single_statement() as session:  # one statement per board
            data = run.answer(plan, calls, session, caller)
        if self.max_bytes is not None and len(data) > self.max_bytes:
            raise Unanswerable  # replaced by `limits.ResponseSizeCap` on the general path
        return run.encode(data)


class LearnDocuments(SchemaExtension):
    """Hands each query the general execution is about to execute (parsed, validated, within
    every limit, no NUL) to `Documents.learn`."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if (
            ctx.result is None
            and not ctx.pre_execution_errors
            and ctx.query is not None
            and ctx.graphql_document is not None
        ):
            self.documents.learn(
                ctx.schema._schema,
                ctx.query,
                getattr(ctx, "_provided_operation_name", None),
                ctx.graphql_document,
            )
        yield
