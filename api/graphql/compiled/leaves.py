"""Leaf values as the general execution writes them: the read model's validation of the
field, then the GraphQL type's output coercion; which shortcut a field's common values take."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo


class Unanswerable(Exception):
    """A plan cannot give this request's answer exactly: the general execution gives it."""


def exact(gql_type: GraphQLOutputType, info: FieldInfo) -> Callable[[Any], Any]:
    """The general path of one value: `model_validate`'s check of the field, then the GraphQL
    type's `coerce_output_value` (as graphql-core's `complete_leaf_value` calls it)."""
    nullable = not isinstance(gql_type, GraphQLNonNull)
    named = get_named_type(gql_type)
    assert isinstance(named, GraphQLScalarType | GraphQLEnumType)
    adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, Annotated[info.annotation, info]))

    def leaf(value: Any) -> Any:
        try:
            value = adapter.validate_python(value)
        except ValidationError:
            raise Unanswerable from None
        if value is None:
            if nullable:
                return None
            raise Unanswerable  # graphql-core: a null in a non-null field is an error
        try:
            out = named.coerce_output_value(value)
        except Exception:  # noqa: BLE001  # the general path reports it; never here
            raise Unanswerable from None
        if out is None or out is Undefined:
            raise Unanswerable
        return out

    return leaf


def _plain(annotation: Any) -> type | None:
    """`X` for a field annotated `X` or `X | None`; None for anything else."""
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if isinstance(annotation, type):
        return annotation
    if len(args) == 1 and isinstance(args[0], type):
        return args[0]
    return None


@dataclass(frozen=True, slots=True)
class Leaf:
    """How one field's value is written: a shortcut `kind` for a value of the exact type
    expected (see `writer.SHORTCUTS`), `general` for any other value (and the truth)."""

    kind: str
    general: Callable[[Any], Any]
    names: Mapping[str, str] = field(default_factory=dict)  # an enum's value → GraphQL name


def leaf(gql_type: GraphQLOutputType, info: FieldInfo) -> Leaf:
    """How the general execution writes this read-model field of this GraphQL type."""
    general = exact(gql_type, info)
    named = get_named_type(gql_type)
    plain = _plain(info.annotation)
    if info.metadata:
        return Leaf("general", general)  # constraints on the field: always the general check
    if isinstance(named, GraphQLEnumType) and isinstance(plain, type) and issubclass(plain, Enum):
        return Leaf("enum", general, {m.value: general(m) for m in plain if type(m.value) is str})
    kind = {
        (str, "String"): "str",
        (int, "ID"): "id",
        (int, "Int"): "int",
        (float, "Float"): "float",
        (datetime, "DateTime"): "datetime",
    }.get((plain, named.name), "general")  # type: ignore[arg-type]
    return Leaf(kind, general)
