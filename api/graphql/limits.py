"""GraphQL limits beyond depth, tokens and aliases: the cost of an operation and the answer's size.

Cost rules (the contract's GraphQL section): the cost is an upper bound on the objects an operation
can return. Every object-typed field counts 1 for each object it may return; a field with a
`limit` argument multiplies everything below it by that limit (the argument's default when not
given, at most the service's `MAX_LIMIT`); a list field without one multiplies by 50, except the
`items` of a page, whose size the page's own `limit` already counts. Fragments (named and
inline) and aliases count every time they are used; introspection fields count nothing (the
schema bounds them). Scalars cost nothing: a device's fields ride with the device.
An operation over the cost limit is refused before any resolver runs. An answer whose JSON is
over the size cap is replaced by the same refusal (the cost bounds objects, not their size).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NoFragmentCyclesRule,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    parse,
    validate,
    value_from_ast,
)
from graphql.type import GraphQLArgument
from strawberry.extensions import SchemaExtension

from inventory_service.platform.pagination import MAX_LIMIT

log = logging.getLogger("inventory.graphql")
UNBOUNDED_LIST = 50
TOO_COMPLEX = "query_too_complex"


def _unwrap(gql_type: Any) -> tuple[GraphQLNamedType, bool]:
    """The named type under NonNull/List wrappers, and whether a list is among them."""
    is_list = False
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(gql_type, GraphQLList)
        gql_type = gql_type.of_type
    return gql_type, is_list


def _is_page(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and {"items", "nextCursor"} <= set(named.fields)


class _Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        ceiling: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.ceiling = ceiling
        self._memo: dict[tuple[str, int, bool], int] = {}

    def _limit(self, field: GraphQLField, node: FieldNode) -> int | None:
        argument: GraphQLArgument | None = field.args.get("limit")
        if argument is None:
            return None
        value: Any = argument.default_value
        for given in node.arguments or ():
            if given.name.value == "limit":
                value = self._argument(given.value, argument)
        if not isinstance(value, int) or isinstance(value, bool):
            value = argument.default_value if isinstance(argument.default_value, int) else 1
        return max(0, min(int(value), MAX_LIMIT))

    def _argument(self, node: ValueNode, argument: GraphQLArgument) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value, argument.default_value)
        return value_from_ast(node, argument.type, dict(self.variables))

    def selection(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode,
        *,
        in_page: bool = False,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        """Objects the selection can return for one `parent` object.

        Each (type, selection set) is costed once: a fragment spread twice in a fragment spread
        twice... costs its sum, computed in time linear in the document (no expansion).
        """
        key = (parent.name, id(selection_set), in_page)
        known = self._memo.get(key)
        if known is not None:
            return known
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection, in_page=in_page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                found = self.schema.get_type(condition.name.value) if condition else None
                total += self.selection(
                    found or parent, selection.selection_set, in_page=in_page, seen=seen
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # a cycle is a validation error anyway
                    continue
                found = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection(
                    found or parent, fragment.selection_set, in_page=in_page, seen=seen | {name}
                )
            if total > self.ceiling:
                break  # already refused: stop before the numbers grow further
        self._memo[key] = total
        return total

    def _field(self, parent: GraphQLNamedType, node: FieldNode, *, in_page: bool) -> int:
        """Objects one field can return (with everything below it) for one `parent` object."""
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        field = parent.fields.get(name)
        if field is None:
            return 0
        named, is_list = _unwrap(field.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0  # scalars and enums ride with their object
        limit = self._limit(field, node)
        if limit is not None:
            factor = limit
        elif is_list and not (in_page and name == "items"):
            factor = UNBOUNDED_LIST
        else:
            factor = 1
        if isinstance(named, GraphQLUnionType):
            below = max((self._below(member, node) for member in named.types), default=0)
        else:
            below = self._below(named, node, page=limit is not None)
        counted_here = 0 if _is_page(named) and limit is not None else 1
        return factor * (counted_here + below)

    def _below(self, named: GraphQLNamedType, node: FieldNode, *, page: bool = False) -> int:
        if node.selection_set is None:
            return 0
        return self.selection(named, node.selection_set, in_page=page and _is_page(named))


def operation_cost(
    schema: GraphQLSchema,
    document: Any,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    ceiling: int = 2**62,
) -> int:
    """The cost of the operation `operation_name` of a validated `document`."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    costing = _Costing(schema, fragments, variables or {}, ceiling)
    worst = 0
    for operation in operations[:1] if operation_name is not None else operations:
        root = schema.get_root_type(operation.operation)
        if root is not None:
            worst = max(worst, costing.selection(root, operation.selection_set))
    return worst


MAX_EXPANDED_FIELDS = 20_000


def expanded_fields(document: DocumentNode) -> int:
    """How many fields the document holds once every fragment spread is expanded.

    Linear in the document (each fragment is counted once, then multiplied): a fragment spread
    twice in a fragment spread twice... (2^40 fields from 40 lines) is measured without being
    expanded. Fragment cycles count nothing here (NoFragmentCyclesRule refuses them first).
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def size(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen or name not in fragments:
                    continue
                if name not in sizes:
                    sizes[name] = size(fragments[name].selection_set, seen | {name})
                total += sizes[name]
            if total > MAX_EXPANDED_FIELDS:
                return total
        return total

    return sum(
        size(d.selection_set, frozenset())
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def too_complex(cost: int, limit: int) -> GraphQLError:
    """The refusal of an operation over the cost limit (no data, nothing run)."""
    return GraphQLError(
        f"query cost is over the limit of {limit:,} (at least {cost:,}): ask for smaller "
        "pages (`limit`) or fewer nested lists",
        extensions={
            "code": TOO_COMPLEX,
            "details": [{"field": "query", "reason": f"cost {cost} > {limit}"}],
        },
    )


class CostLimiter(SchemaExtension):
    """Parse and validate off the event loop, then refuse an operation over `max_cost`.

    A hostile document costs tens of milliseconds of CPU to parse and validate; done on the
    event loop, a few of them back to back would delay every other request (`/healthz`
    included). Here both run in a worker thread, and the cost is computed from the validated
    document there too. strawberry parses only when no extension did, and validates only when
    no extension did: this one does both and adds its own verdict, so nothing executes after
    any refusal. A document that does not parse is left to strawberry to report.
    """

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            query, options = context.query, dict(context.parse_options)

            def parsed() -> Any:
                return parse(query, **options)  # type: ignore[arg-type]

            try:
                context.graphql_document = await asyncio.to_thread(parsed)
            except GraphQLError:
                pass  # strawberry parses it again and answers the syntax error as usual
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = await asyncio.to_thread(
                self._verdict,
                context.schema._schema,
                document,
                list(context.validation_rules),
                context.operation_name,
                dict(context.variables or {}),
            )
        yield

    def _verdict(
        self,
        schema: GraphQLSchema,
        document: Any,
        rules: list[Any],
        operation_name: str | None,
        variables: dict[str, Any],
    ) -> list[GraphQLError]:
        # Refuse what would make the validators themselves expensive: some of them (depth,
        # aliases) expand fragments, which a fragment spread twice per level makes exponential.
        cycles = list(validate(schema, document, [NoFragmentCyclesRule]))
        if cycles:
            return cycles
        fields = expanded_fields(document)
        if fields > MAX_EXPANDED_FIELDS:
            return [
                GraphQLError(
                    f"the document expands to more than {MAX_EXPANDED_FIELDS:,} fields "
                    "(fragments spread within fragments); write it out smaller",
                    extensions={
                        "code": TOO_COMPLEX,
                        "details": [{"field": "query", "reason": f"over {fields} fields"}],
                    },
                )
            ]
        errors = list(validate(schema, document, rules))
        if errors:
            return errors
        cost = operation_cost(
            schema,
            document,
            operation_name=operation_name,
            variables=variables,
            ceiling=self.max_cost,
        )
        return [too_complex(cost, self.max_cost)] if cost > self.max_cost else []


class ResponseSizeCap(SchemaExtension):
    """Replace an answer whose JSON is over `max_bytes` by a `query_too_complex` error."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or result.data is None:
            return
        size = len(json.dumps(result.data, default=str, separators=(",", ":")))
        if size > self.max_bytes:
            log.warning("GraphQL answer over the size cap", extra={"bytes": size})
            result.data = None
            result.errors = [
                GraphQLError(
                    f"the answer is over {self.max_bytes:,} bytes: ask for smaller pages",
                    extensions={
                        "code": TOO_COMPLEX,
                        "details": [{"field": "query", "reason": f"answer of {size} bytes"}],
                    },
                )
            ]
