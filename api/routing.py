"""Routers that a request outside their path prefix skips at once.

FastAPI keeps an included router as one route of its parent. To tell whether a request matches
it, that route walks every route below it, and it walks them again to handle the request. So
every request paid for the whole table in front of its route. A constant answer at the end of
the table cost 350 µs of CPU in the app, against 73 µs in a bare app; 280 µs of that was
matching (cProfile; `bench/asgi_app.py`).

Every path a router serves starts with the literal part of its full prefix: the prefixes of
the routers it is included in and its own, up to the first path parameter. A request whose
path does not start with that literal part cannot match any of the router's routes. `matches`
says so without walking them and otherwise asks FastAPI as before. The routes, their order
and what they match are unchanged, and so is the OpenAPI document
(`tests/api/test_routing.py`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class Pruned:
    """Mixin for an APIRouter: every path it serves starts with one of `path_starts` (empty
    until `include` sets it: nothing is skipped). `full_prefix` is where its paths start,
    parameters included (None until included somewhere known)."""

    path_starts: tuple[str, ...] = ()
    full_prefix: str | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.path_starts and not get_route_path(scope).startswith(self.path_starts):
            return Match.NONE, {}
        answer: tuple[Match, Scope] = super().matches(scope)  # type: ignore[misc]
        return answer


class Router(Pruned, APIRouter):
    """The service's APIRouter."""


def include(
    parent: FastAPI | APIRouter, child: APIRouter, *, prefix: str = "", **options: Any
) -> None:
    """`parent.include_router(child, prefix=prefix, **options)`, telling `child` where its
    paths start: its full prefix, or for a router without one, each of its routes' paths.
    Under a parent whose own place is unknown, the child skips nothing."""
    base = "" if isinstance(parent, FastAPI) else getattr(parent, "full_prefix", None)
    if isinstance(child, Pruned) and base is not None:
        child.full_prefix = base + prefix + child.prefix
        paths = [getattr(route, "path", None) for route in child.routes]
        if child.prefix:
            child.path_starts = (_literal(child.full_prefix),)
        elif paths and all(isinstance(path, str) for path in paths):
            child.path_starts = tuple(
                dict.fromkeys(_literal(base + prefix + str(p)) for p in paths)
            )
    parent.include_router(child, prefix=prefix, **options)


def _literal(path: str) -> str:
    """The part of a path template before its first parameter."""
    return path.split("{", 1)[0]
