"""The filters of a list, declared once in its service and derived for both surfaces.

Rules that always hold here: a list's filters are the fields of one frozen dataclass in the
service layer (`devices.DeviceFilter`, `stock.SpareFilter`, ...), each annotated with its
type and, where it has one, a `pydantic.Field` carrying its bound and description. REST takes
them as query parameters (`query_filters`) and GraphQL as arguments of the list field
(`graphql_filters`), both built from that one declaration, so that a filter added to a list
appears on both surfaces or on neither (`tests/api/test_filter_parity.py` holds them to it).
A bound broken in GraphQL is the same 422-coded `validation_error` naming the field as in REST.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from fastapi import Query
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo

from api.surface import graphql_error
from inventory_service.platform.errors import ValidationFailed

F = TypeVar("F")
R = TypeVar("R", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True, slots=True)
class FilterField:
    """One filter of a list: its name, bare type and its bound/description (if any)."""

    name: str
    annotation: Any
    info: FieldInfo | None

    def bound(self, name: str) -> Any:
        """A constraint of the field (`max_length`, `ge`, `le`), or None."""
        if self.info is None:
            return None
        for meta in self.info.metadata:
            found = getattr(meta, name, None)
            if found is not None:
                return found
        return None

    @property
    def description(self) -> str | None:
        return self.info.description if self.info is not None else None


_FIELDS: dict[type[Any], tuple[FilterField, ...]] = {}
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def fields_of(cls: type[Any]) -> tuple[FilterField, ...]:
    """The filters a filter dataclass declares, in declaration order."""
    if cls not in _FIELDS:
        _FIELDS[cls] = _declared(cls)
    return _FIELDS[cls]


def _declared(cls: type[Any]) -> tuple[FilterField, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    found = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        info = None
        if typing.get_origin(hint) is typing.Annotated:
            hint, *extras = typing.get_args(hint)
            info = next((e for e in extras if isinstance(e, FieldInfo)), None)
        found.append(FilterField(field.name, hint, info))
    return tuple(found)


def names(cls: type[Any]) -> list[str]:
    """The filter names of a list, as REST spells them."""
    return [f.name for f in fields_of(cls)]


def query_filters(cls: type[F]) -> Callable[..., Awaitable[F]]:
    """A FastAPI dependency taking `cls`'s fields as query parameters and building a `cls`."""

    async def dependency(**values: Any) -> F:
        # async: FastAPI would run a plain `def` dependency in the thread pool, a hop per list
        # request for a constructor call.
        return cls(**values)

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=typing.Annotated[
                    f.annotation,
                    Query(
                        max_length=f.bound("max_length"),
                        ge=f.bound("ge"),
                        le=f.bound("le"),
                        description=f.description,
                    ),
                ],
            )
            for f in fields_of(cls)
        ],
        return_annotation=cls,
    )
    dependency.__name__ = f"{cls.__name__}_query"
    return dependency


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def build(cls: type[F], values: dict[str, Any]) -> F:
    """A `cls` from GraphQL arguments, its bounds checked as REST checks them."""
    try:
        built: F = _adapter(cls).validate_python(values, strict=False)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "filters"
        raise ValidationFailed.field(name, error["msg"]) from None
    return built


def _argument(field: FilterField, annotation: Any) -> Any:
    if field.description is None:
        return annotation
    return typing.Annotated[annotation, strawberry.argument(description=field.description)]


def graphql_filters(
    cls: type[Any], *, graphql_types: dict[str, Any] | None = None
) -> Callable[[R], R]:
    """Give a list resolver `cls`'s fields as arguments; it receives them as `filters=cls(...)`.

    The resolver declares `filters` as a keyword parameter; the schema shows every field of
    `cls` in its place (camelCased by strawberry), so the arguments are the REST parameters.
    `graphql_types` keeps an argument's published GraphQL type where it predates its filter
    (e.g. `warehouses(kind: String)`); its value is still checked against the filter's type.
    """
    published = graphql_types or {}
    fields = fields_of(cls)

    def decorate(resolver: R) -> R:
        own = inspect.signature(resolver)

        @functools.wraps(resolver)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {f.name: kwargs.pop(f.name, None) for f in fields}
            try:
                kwargs["filters"] = build(cls, values)
            except ValidationFailed as exc:
                raise graphql_error(exc) from None
            return await resolver(*args, **kwargs)

        params = []
        for param in own.parameters.values():
            if param.name != "filters":
                params.append(param)
                continue
            params += [
                inspect.Parameter(
                    f.name,
                    param.kind,
                    default=None,
                    annotation=_argument(f, published.get(f.name, f.annotation)),
                )
                for f in fields
            ]
        wrapper.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        return typing.cast(R, wrapper)

    return decorate
