"""Every operation declares the statuses it can answer, with the contract's error schema.

Rules that always hold: the statuses are derived from what the route is made of, so a new route
declares its errors without anyone remembering to: 401 when it authenticates, 403 when its role
dependency admits fewer than every role, 404 when it names anything (path, query or body),
409 and 413 when it writes, 412 when it takes `If-Match`, 422 everywhere (a NUL in any header
is refused before routing), 503 when it reaches the database. The schemathesis suite checks
the result against the live answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from api.deps import get_caller, get_database
from models import Role


class ErrorDetail(BaseModel):
    """One reason a request was refused."""

    model_config = ConfigDict(extra="allow")

    field: str | None = Field(default=None, description="The field (or header) at fault.")
    reason: str | None = Field(default=None, description="Why it was refused.")
    location: str | None = Field(default=None, description="body, query, path or header.")


class ErrorInfo(BaseModel):
    code: str = Field(description="A snake_case code, e.g. `not_found`, `validation_error`.")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The contract's error shape: `{"error": {"code", "message", "details"}}`."""

    error: ErrorInfo


DESCRIPTIONS = {
    400: "The request cannot be read (`bad_request`).",
    401: "No valid bearer token (`unauthorized`).",
    403: "The token's role may not do this (`forbidden`).",
    404: "Nothing of that id or code is visible to this token (`not_found`).",
    409: "State conflict: duplicate, illegal transition, nothing available, or the same "
    "Idempotency-Key still running (`idempotency_in_progress`).",
    412: "The `If-Match` ETag is stale (`precondition_failed`).",
    413: "The body is over `INVENTORY_MAX_BODY_MB`, or an import over its caps "
    "(`payload_too_large`).",
    422: "Invalid input: `details` names each field and why (`validation_error`, "
    "`idempotency_key_reused`).",
    503: "The database is unavailable or locked; retry after `Retry-After` "
    "(`service_unavailable`).",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def _params(dependant: Dependant) -> Iterator[str]:
    for param in (*dependant.path_params, *dependant.query_params, *dependant.header_params):
        yield param.alias
    for dep in dependant.dependencies:
        yield from _params(dep)


def statuses_of(route: APIRoute, path: str) -> set[int]:
    """The error statuses `route` (served at `path`) can answer."""
    calls = list(_calls(route.dependant))
    params = set(_params(route.dependant))
    methods = route.methods or set()
    statuses = {422}
    if get_caller in calls:
        statuses |= {401, 503}
    elif get_database in calls:
        statuses.add(503)
    for call in calls:
        allowed = getattr(call, "allowed_roles", None)
        if allowed is not None and set(allowed) != set(Role):
            statuses.add(403)
    if route.dependant.path_params or route.body_field is not None or params - {"If-Match"}:
        statuses.add(404)
    if methods & WRITES:
        statuses.add(413)
        if not path.startswith("/graphql"):
            statuses.add(409)
    if "If-Match" in params:
        statuses.add(412)
    if path.startswith("/graphql"):
        statuses.add(400)  # strawberry's answer to a body that is not a GraphQL request
    return statuses


def _error_schemas() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    return defs | {"ErrorBody": schema}


def declare_errors(app: FastAPI) -> None:
    """Make `app.openapi()` list each operation's error statuses with `ErrorBody`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None and app.openapi_schema.get("x-errors-declared"):
            return app.openapi_schema
        document = generate()
        document.setdefault("components", {}).setdefault("schemas", {}).update(_error_schemas())
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for context in iter_route_contexts(app.routes):
            route = context.route
            if not isinstance(route, APIRoute) or not route.include_in_schema or not context.path:
                continue
            operations = document["paths"].get(context.path, {})
            for method in route.methods or ():
                operation = operations.get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in statuses_of(route, context.path):
                    responses[str(status)] = {"description": DESCRIPTIONS[status], "content": error}
                operation["responses"] = dict(sorted(responses.items()))
        document["x-errors-declared"] = True
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
