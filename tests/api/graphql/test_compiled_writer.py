"""The pieces of compiled documents: each leaf shortcut writes what the general path writes,
plans are kept within bounds, and nothing but queries compiles."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from graphql import GraphQLNonNull, parse
from pydantic import BaseModel
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

from api.graphql.compiled import leaves, writer
from api.graphql.compiled.documents import Documents, LearnDocuments
from api.graphql.compiled.plan import MODELS, compile_document
from api.graphql.limits import CostLimiter, ResponseSizeCap
from api.graphql.schema import CodeUnmaskedErrors, RefuseNul, build_schema
from inventory_service.platform.settings import Settings

SCHEMA = build_schema(Settings(graphql_introspection=False))
GRAPHQL = SCHEMA._schema

AWARE = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
SAMPLES: list[Any] = [
    None,
    "",
    "text",
    '核心\u2028"\\',
    "in_service",
    "faulty",
    "bogus",
    0,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    True,
    False,
    0.0,
    -0.0,
    1.5,
    1e16,
    5e-324,
    math.inf,
    math.nan,
    AWARE,
    AWARE.replace(tzinfo=None),
    AWARE.astimezone(timezone(timedelta(hours=8))),
    {"a": 1},
    {"a": True, "b": [1, None]},
    [1, 2],
]


def _fields() -> list[tuple[str, str, Any, Any]]:
    """(type, field, GraphQL field, read-model field) of every leaf a plan may write."""
    found = []
    for type_name, (model, _) in MODELS.items():
        gql_type = GRAPHQL.get_type(type_name)
        for name, definition in gql_type.fields.items():  # type: ignore[union-attr]
            field = definition.extensions["strawberry-definition"]
            info = model.model_fields.get(field.python_name)
            if field.base_resolver is None and info is not None and not _object(info.annotation):
                found.append((type_name, name, definition, info))
    return found


def _object(annotation: Any) -> bool:
    args = getattr(annotation, "__args__", ())
    return any(isinstance(a, type) and issubclass(a, BaseModel) for a in (annotation, *args))


def _general(definition: Any, info: Any, value: Any) -> str | None:
    try:
        return writer.dump(leaves.exact(definition.type, info)(value))
    except leaves.Unanswerable:
        return None


def _shortcut(definition: Any, info: Any, value: Any) -> str | None:
    write = writer.write_function([("x", writer.Value(0, leaves.leaf(definition.type, info)))])
    try:
        return write([value], [])[len('{"x":') : -1]
    except leaves.Unanswerable:
        return None


@pytest.mark.parametrize(("type_name", "name", "definition", "info"), _fields())
def test_each_leaf_writes_what_the_general_path_writes(
    type_name: str, name: str, definition: Any, info: Any
) -> None:
    for value in SAMPLES:
        assert _shortcut(definition, info, value) == _general(definition, info, value), value


def test_the_shortcuts_are_taken() -> None:
    kinds = {(t, n): leaves.leaf(d.type, i).kind for t, n, d, i in _fields()}
    assert kinds[("Device", "id")] == "id"
    assert kinds[("Device", "serial")] == "str"
    assert kinds[("Device", "status")] == "enum"
    assert kinds[("Device", "createdAt")] == "datetime"
    assert kinds[("Site", "lat")] == "float"
    assert kinds[("Site", "hubBandMinutes")] == "int"
    assert kinds[("Device", "config")] == "general"


def test_general_values_are_the_general_executions() -> None:
    device = GRAPHQL.get_type("Device")
    status = device.fields["status"]  # type: ignore[union-attr]
    assert isinstance(status.type, GraphQLNonNull)
    info = MODELS["Device"][0].model_fields["status"]
    assert _general(status, info, "in_service") == '"IN_SERVICE"'
    assert _general(status, info, None) is None  # a null in a non-null field: an error
    spec = MODELS["Part"][0].model_fields["specs"]
    specs = GRAPHQL.get_type("Part").fields["specs"]  # type: ignore[union-attr]
    assert json.loads(_general(specs, spec, {"a": True}) or "") == {"a": 1.0}


def test_keys_are_graphql_names() -> None:
    with pytest.raises(ValueError, match="not a GraphQL name"):
        writer.write_function([('x"', writer.Constant("Device"))])


def _learn(documents: Documents, query: str, operation: str | None = None) -> None:
    documents.learn(GRAPHQL, query, operation, parse(query))


def test_plans_are_kept_within_bounds() -> None:
    documents = Documents(readers=1, size=2)
    queries = [f"{{ a{n}: devices {{ items {{ serial }} }} }}" for n in range(3)]
    for query in queries:
        _learn(documents, query)
    assert documents.plan(queries[0], None) is None
    assert documents.plan(queries[1], None) is not None
    assert documents.plan(queries[2], None) is not None
    long = "{ devices { items { serial } } }" + " " * 40_000
    _learn(documents, long)
    assert documents.plan(long, None) is None
    assert documents.plan(queries[1], None) is not None  # nothing was evicted for it


@pytest.mark.parametrize(
    "query",
    [
        'mutation { deleteSite(code: "X") }',
        'subscription { spareChanged(partNumber: "X") { spareId } }',
        "{ devices { items { serial } } customers { items { code } } }",
        "query ($s: Boolean!) { devices { items { serial @skip(if: $s) } } }",
        "{ devices { items { ...F } } } fragment F on Device { serial history { action } }",
    ],
)
def test_only_queries_of_what_a_plan_reads_compile(query: str) -> None:
    assert compile_document(GRAPHQL, parse(query), None) is None


def test_every_extension_of_the_schema_is_one_a_plan_honours() -> None:
    """A plan answers only what passed every extension on the general path first (learned
    from it), and re-checks per request what depends on the variables. An extension added to
    the schema must be placed here, with what a plan does for it."""
    honoured = {
        QueryDepthLimiter: "static: the document was learned after it",
        MaxTokensLimiter: "static",
        MaxAliasesLimiter: "static",
        DisableIntrospection: "static",
        RefuseNul: "literals static; variables checked per request (bounds.nul_path)",
        CodeUnmaskedErrors: "errors only: a plan answers no error",
        MaskErrors: "errors only",
        LearnDocuments: "the learning itself",
        CostLimiter: "document static; the cost with the request's variables checked per request",
        ResponseSizeCap: "the answer's length checked before it is sent",
    }
    documents = Documents(readers=1)
    schema = build_schema(Settings(graphql_introspection=False), documents)
    found = {e if isinstance(e, type) else type(e()) for e in schema.extensions}
    assert LearnDocuments in found
    assert found <= set(honoured), found - set(honoured)
