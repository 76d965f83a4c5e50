"""Pure ASGI middleware: request id, Prometheus metrics, one structured access-log line, the
security headers, and the guard that authenticates a caller and bounds a body before it is read.

Written as raw ASGI (not BaseHTTPMiddleware) because it wraps every request on the hot path.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import surface
from api.errors import domain_error_response
from inventory_service.platform.errors import DomainError, PayloadTooLarge
from inventory_service.platform.logs import request_id_var

access_log = logging.getLogger("inventory.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's own registry (so that several apps in one process do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "inventory_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "inventory_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.graphql = Counter(
            "inventory_graphql_operations_total",
            "GraphQL operations over HTTP POST by how they were answered: by a compiled "
            "document, or by the general execution.",
            ["path"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answer and its latency (the labelled children are looked up once)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def _route_template(scope: Scope) -> str:
    """The matched route's template with the prefixes of the routers it was included under."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    # An included route knows only its own path; the prefixes are the leading segments of the
    # request path that the template does not account for.
    segments = [part for part in scope["path"].split("/") if part]
    own = [part for part in template.split("/") if part]
    prefix = segments[: max(len(segments) - len(own), 0)]
    return "/" + "/".join(prefix) + template if prefix else template


ErrorResponder = Callable[[Scope, Exception], Awaitable[Response]]

# On every answer: no MIME sniffing, never framed (a CSP that names no source, so self-hosted
# pages and assets under /console and /docs keep working; a page that sends its own CSP,
# which also says frame-ancestors 'none', keeps it).
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
# On API answers (REST and GraphQL): they hold a caller's data; no cache keeps them.
API_PATHS = ("/api/", "/graphql")
NO_STORE = (b"cache-control", b"no-store")


class RequestContextMiddleware:
    """Request id in and out, metrics, the access log, and the last line against crashes."""

    def __init__(self, app: ASGIApp, metrics: Metrics, on_error: ErrorResponder) -> None:
        self.app = app
        self.metrics = metrics
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        started_response = False
        api_answer = scope["path"].startswith(API_PATHS)

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers: list[Any] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                if present.isdisjoint(SECURITY_HEADER_NAMES):
                    headers.extend(SECURITY_HEADERS)
                else:
                    # A page's own (stricter) policy is kept: /docs and /console set theirs.
                    headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if api_answer and b"cache-control" not in present:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here, inside the request id's context, so the masked 500 carries it.
            if started_response:
                raise
            response = await self.on_error(scope, exc)
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            # A client may send any token as a method: labels keep to the known ones, so that
            # the metrics (and their cached children) cannot grow without bound.
            method = scope["method"] if scope["method"] in HTTP_METHODS else "OTHER"
            self.metrics.observe(method, route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the streamed body passes the cap (mapped to 413 once)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large(limit).message)


def _too_large(limit: int) -> PayloadTooLarge:
    megabytes = f"{limit / 1024 / 1024:g}"
    return PayloadTooLarge(
        f"request body over {megabytes} MB",
        details=[{"field": "body", "reason": f"larger than {limit} bytes (INVENTORY_MAX_BODY_MB)"}],
    )


class RequestGuard:
    """Authenticate before any body is read; refuse a body over `max_body` bytes while streaming.

    Starlette's own body limit answers a plain-text 413; this one answers the contract's error
    shape, refuses at once when Content-Length announces too much, and counts the bytes of a body
    sent without it (chunked) as they arrive.
    """

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            # No route reads the body of a GET, HEAD or OPTIONS: the hot path stays untouched.
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(API_PATHS):
            token: str | None = None
            announced: int | None = None
            for name, value in scope.get("headers", ()):
                if name == b"authorization":
                    scheme, _, rest = value.decode("latin-1").partition(" ")
                    token = rest.strip() or None if scheme.lower() == "bearer" else None
                elif name == b"content-length" and value.isdigit():
                    announced = int(value)
            try:
                caller = await surface.authenticate(scope["app"].state.database, token)
                if announced is not None and announced > self.max_body:
                    raise _too_large(self.max_body)
            except DomainError as exc:
                await domain_error_response(exc)(scope, receive, send)
                return
            scope.setdefault("state", {})["caller"] = caller

        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded, watch)
        except BodyTooLarge:
            if started:
                raise
            await domain_error_response(_too_large(self.max_body))(scope, receive, send)


class RefuseNul:
    """A NUL character in the path, the query or a header is 422 before anything reads it.

    PostgreSQL cannot store NUL, and no name, code or key of this service holds one; bodies are
    checked by the request schemas (and GraphQL documents by the schema's extension).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = _nul_in(scope)
            if where is not None:
                location, field = where
                body = {
                    "error": {
                        "code": "validation_error",
                        "message": f"invalid input: {field}",
                        "details": [
                            {
                                "field": field,
                                "reason": "must not hold a NUL character",
                                "location": location,
                            }
                        ],
                    }
                }
                await JSONResponse(body, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_in(scope: Scope) -> tuple[str, str] | None:
    """(location, field) of the first NUL in the request line or headers, else None."""
    if "\x00" in scope["path"]:
        return "path", "path"
    raw_query: bytes = scope.get("query_string", b"")
    if b"\x00" in raw_query or b"%00" in raw_query.lower():
        for name, value in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return "query", name.replace("\x00", "\\u0000")
        return "query", "query"
    for name, value in scope.get("headers", ()):
        if b"\x00" in value or b"\x00" in name:
            return "header", name.decode("latin-1").replace("\x00", "\\u0000")
    return None
