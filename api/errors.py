"""REST's error handlers: domain errors (mapped once in `api.surface`) and FastAPI's own, in
the contract's error shape.

Every error body is `{"error": {"code", "message", "details"}}`; nothing unexpected leaks: a
stack trace is logged with the request id and the client gets a masked 500.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import Scope

from api.idempotency import ReplayResponse, replay_response
from api.surface import error_body, status_of
from inventory_service.platform import errors, idempotency
from inventory_service.platform.db import unavailable
from inventory_service.platform.logs import request_id_var

log = logging.getLogger("inventory.api")

HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def domain_error_response(exc: errors.DomainError) -> JSONResponse:
    headers: dict[str, str] | None = None
    if isinstance(exc, errors.Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, errors.ServiceUnavailable):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), status_code=status_of(exc), headers=headers
    )


def validation_details(raw: list[Any]) -> list[dict[str, Any]]:
    """FastAPI's validation errors as `{field, reason, location}`, the field named plainly."""
    details = []
    for err in raw:
        loc = [str(part) for part in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in ("body", "query", "path", "header") else "body"
        path = loc[1:] if loc and loc[0] == location else loc
        if err.get("type") == "json_invalid":
            reason = "malformed JSON: " + str(err.get("ctx", {}).get("error", "cannot parse"))
            details.append({"field": "body", "reason": reason, "location": "body"})
            continue
        field = ".".join(path) or location
        details.append({"field": field, "reason": err.get("msg", "invalid"), "location": location})
    return details


async def _settle_claim(request: Request, response: JSONResponse | None) -> None:
    """A refused request remembers its refusal for retries; a crashed one frees its key."""
    claim = getattr(request.state, "idempotency_claim", None)
    if claim is None:
        return
    request.state.idempotency_claim = None
    db = request.app.state.database
    if response is None:
        await run_in_threadpool(idempotency.release, db, claim)
    else:
        body = json.loads(bytes(response.body))
        await run_in_threadpool(
            idempotency.complete_separately,
            db,
            claim,
            status_code=response.status_code,
            body=body,
        )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database error raised in a route: 503 when the database is unavailable, else 500."""
    found = unavailable(exc)
    if found is None:
        return await _masked(request, exc)
    return await _unavailable(request, exc, found)


def install(app: FastAPI) -> None:
    """Register the exception handlers on `app`."""

    @app.exception_handler(ReplayResponse)
    async def _replay(request: Request, exc: ReplayResponse) -> JSONResponse:
        return replay_response(exc)

    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
        response = domain_error_response(exc)
        await _settle_claim(request, response)
        return response

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.add_exception_handler(kind, _database_error)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        if any(d["location"] == "path" for d in details):
            literal = _literal_methods(app, request.url.path)
            if literal:
                # `/devices/import` read as `/devices/{device_id}`: the path exists, the method
                # does not.
                return JSONResponse(
                    error_body("method_not_allowed", "Method Not Allowed"),
                    status_code=405,
                    headers={"Allow": ", ".join(literal)},
                )
            # An id in a path that no row can have names nothing: not found, as for any id.
            response = JSONResponse(
                error_body("not_found", f"no such resource: {request.url.path[:200]}"),
                status_code=404,
            )
            await _settle_claim(request, response)
            return response
        fields = ", ".join(d["field"] for d in details)
        response = JSONResponse(
            error_body("validation_error", f"invalid input: {fields}", details), status_code=422
        )
        await _settle_claim(request, response)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # A body that cannot be decoded is invalid input like any other (contract: 422).
            detail = {"field": "body", "reason": "cannot be decoded", "location": "body"}
            response = JSONResponse(
                error_body("validation_error", "invalid input: body", [detail]), status_code=422
            )
            await _settle_claim(request, response)
            return response
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        headers = exc.headers
        if exc.status_code == 405:
            headers = {"Allow": ", ".join(allowed_methods(app, request.url.path))}
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at `path` (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        if not context.path or not context.methods or not _in_schema(context.route):
            continue
        if _path_regex(context.path).match(path):
            methods |= context.methods
    return sorted(methods)


def _literal_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of routes whose path is exactly `path` (no parameters)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        if context.path == path and context.methods and _in_schema(context.route):
            methods |= context.methods
    return sorted(methods)


def _in_schema(route: object) -> bool:
    return bool(getattr(route, "include_in_schema", True))


@functools.cache
def _path_regex(template: str) -> re.Pattern[str]:
    regex, _, _ = compile_path(template)
    return regex


async def unexpected_error(scope: Scope, exc: Exception) -> JSONResponse:
    """The masked 500 (or the 503 of an unavailable database, wherever it was raised)."""
    request = Request(scope)
    found = unavailable(exc)
    if found is not None:
        return await _unavailable(request, exc, found)
    return await _masked(request, exc)


async def _unavailable(
    request: Request, exc: Exception, found: errors.ServiceUnavailable
) -> JSONResponse:
    """503 with Retry-After; logged as a warning with the driver's one-line reason."""
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    log.warning("database unavailable", extra={"error": type(exc).__name__, "reason": reason})
    try:
        await _settle_claim(request, None)
    except Exception as again:  # the same database; a dead claim is taken over later
        log.warning("could not free an idempotency key", extra={"error": type(again).__name__})
    return domain_error_response(found)


async def _masked(request: Request, exc: Exception) -> JSONResponse:
    """The masked 500: the details go to the log with the request id, never to the client."""
    rid = request_id_var.get()
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path, "request_id": rid})
    await _settle_claim(request, None)
    return JSONResponse(
        error_body("internal_error", f"internal error; quote request id {rid}"),
        status_code=500,
    )
