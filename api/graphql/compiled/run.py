"""Running a plan: arguments coerced as graphql-core and strawberry coerce them, rows read by
the services' own statements, the answer written as the JSON text strawberry would send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError, get_argument_values, get_variable_values
from graphql.execution.values import VariableValues
from sqlmodel import Session
from strawberry.types.arguments import convert_arguments

from api import filters as list_filters
from api.graphql import limits
from api.graphql.compiled import writer
from api.graphql.compiled.leaves import Unanswerable
from api.graphql.compiled.plan import BACKREF, DevicesPlan, Plan
from inventory_service.assets import devices
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import ValidationFailed
from inventory_service.platform.pagination import DEFAULT_LIMIT


def variable_values(plan: Plan, variables: Mapping[str, Any] | None) -> VariableValues:
    """The operation's variables as graphql-core coerces them before executing."""
    coerced = get_variable_values(plan.schema, plan.variables, dict(variables or {}))
    if isinstance(coerced, list):
        raise Unanswerable  # the general execution reports the variables' errors
    return coerced


def cost(plan: Plan, variables: Mapping[str, Any] | None, ceiling: int) -> int:
    """The operation's cost as `limits.CostLimiter` computes it (the raw variables)."""
    return limits.operation_cost(
        plan.schema,
        plan.document,
        operation_name=plan.operation_name,
        variables=dict(variables or {}),
        ceiling=ceiling,
    )


def arguments(
    plan: Plan, schema: strawberry.Schema, values: VariableValues
) -> list[dict[str, Any] | None]:
    """Each root field's Python arguments, as strawberry hands them to the resolver."""
    calls: list[dict[str, Any] | None] = []
    for _, root in plan.roots:
        if isinstance(root, str):
            calls.append(None)
            continue
        try:
            raw = get_argument_values(root.definition, root.node, values)
        except GraphQLError:
            raise Unanswerable from None
        calls.append(
            convert_arguments(
                raw,
                root.definition.extensions[BACKREF].arguments,
                scalar_registry=schema.schema_converter.scalar_registry,
                config=schema.config,
            )
        )
    return calls


def answer(
    plan: Plan, calls: Sequence[dict[str, Any] | None], session: Session, actor: Caller
) -> str:
    """The operation's `data`, as JSON text."""
    fields = []
    for (key, root), kwargs in zip(plan.roots, calls, strict=True):
        if isinstance(root, str):
            fields.append((key, writer.text(root)))
        else:
            assert kwargs is not None
            fields.append((key, devices_page(root, kwargs, session, actor)))
    return _object(fields)


def devices_page(plan: DevicesPlan, kwargs: dict[str, Any], session: Session, actor: Caller) -> str:
    """One `devices` field: `AssetsQuery.devices`' page, read and written as the plan says."""
    values = {f.name: kwargs.get(f.name) for f in list_filters.fields_of(devices.DeviceFilter)}
    try:
        filters = list_filters.build(devices.DeviceFilter, values)  # as `graphql_filters` does
    except ValidationFailed:
        raise Unanswerable from None
    if filters.serial is not None or filters.patch_level_below is not None:
        raise Unanswerable  # `list_` reads these its own way
    groups, next_cursor = plan.board.rows(
        session,
        actor=actor,
        filters=filters,
        limit=kwargs.get("limit", DEFAULT_LIMIT),
        cursor=kwargs.get("cursor"),
    )
    fields = []
    for key, what in plan.page:
        if what is None:
            fields.append((key, "null" if next_cursor is None else writer.text(next_cursor)))
        elif isinstance(what, str):
            fields.append((key, writer.text(what)))
        else:
            fields.append((key, "[" + ",".join([what(group[0], group) for group in groups]) + "]"))
    return _object(fields)


def _object(fields: Sequence[tuple[str, str]]) -> str:
    """The JSON text of an object from its keys and its values' JSON text."""
    return "{" + ",".join(writer.text(key) + ":" + value for key, value in fields) + "}"


def encode(data: str) -> str:
    """The body strawberry's view writes for an answer without errors or extensions."""
    return '{"data":' + data + "}"
