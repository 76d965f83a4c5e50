"""Routers skip a request outside their path prefix (`api/routing.py`) without changing which
route answers: every route of the app answers the same with the skipping turned off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Match

from api.app import create_app
from api.routing import Pruned, Router, include
from inventory_service.platform.db import Database


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def operations() -> list[tuple[str, str]]:
    """(method, concrete path) of every route the app serves, documented or not."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(create_app().routes):
        route = context.route
        if isinstance(route, APIRoute) and context.path:
            found.update((method, _concrete(context.path)) for method in route.methods or ())
    # Near misses: a prefix of a route, a longer path, a trailing slash, another prefix.
    found |= {
        ("GET", "/api/v1"),
        ("GET", "/api/v1/devicesx"),
        ("GET", "/api/v1/devices/"),
        ("GET", "/api/v1/warehouses/1/stocktakes/1/x"),
        ("GET", "/graphqlx"),
        ("GET", "/healthzz"),
        ("GET", "/console/"),
        ("GET", "/assets/app/nothing.css"),
        ("DELETE", "/api/v1/availability"),
    }
    return sorted(found)


@pytest.fixture
def both(db: Database, admin: dict[str, str]) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        TestClient(create_app(database=db), raise_server_exceptions=False) as pruned,
        TestClient(create_app(database=db), raise_server_exceptions=False) as walked,
    ):
        for client in (pruned, walked):
            client.headers.update(admin)
        yield pruned, walked


def test_pruning_changes_no_answer(
    both: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    pruned, walked = both
    cases = operations()
    assert len(cases) > 80
    first = [pruned.request(m, p, follow_redirects=False) for m, p in cases]
    # The same app with every router walking its routes as FastAPI does by itself.
    monkeypatch.setattr(Pruned, "path_starts", (), raising=True)
    for router in _pruned_routers(walked.app):
        monkeypatch.setattr(router, "path_starts", ())
    second = [walked.request(m, p, follow_redirects=False) for m, p in cases]
    for (method, path), a, b in zip(cases, first, second, strict=True):
        assert (a.status_code, a.headers.get("location")) == (
            b.status_code,
            b.headers.get("location"),
        ), (method, path)
        if a.headers.get("content-type", "").startswith("application/json"):
            assert a.json().get("error", {}).get("code") == b.json().get("error", {}).get("code"), (
                method,
                path,
            )


def _pruned_routers(app: object) -> list[Pruned]:
    found: list[Pruned] = []
    for route in getattr(app, "routes", ()):
        router = getattr(route, "original_router", None)
        if isinstance(router, Pruned):
            found.append(router)
            found.extend(_pruned_routers(router))
    return found


def test_every_router_of_the_app_skips_what_it_cannot_serve() -> None:
    app = create_app()
    starts = {tuple(router.path_starts) for router in _pruned_routers(app)}
    assert ("/api/v1/devices",) in starts
    assert ("/graphql",) in starts
    assert ("/api/v1/warehouses/",) in starts  # stops at the stocktakes' {code}
    assert ("/healthz", "/readyz", "/metrics") in starts
    assert all(starts), "every router of the app knows where its paths start"


def test_a_router_answers_none_outside_its_start_and_asks_fastapi_inside() -> None:
    parent = FastAPI()
    child = Router(prefix="/things")

    @child.get("/{thing_id}")
    def thing(thing_id: int) -> int:
        return thing_id

    include(parent, child, prefix="/api/v1")
    assert child.path_starts == ("/api/v1/things",)
    outside = {"type": "http", "method": "GET", "path": "/api/v1/other/1", "root_path": ""}
    assert child.matches(outside) == (Match.NONE, {})


def test_a_router_under_a_parameter_or_an_unknown_parent_is_placed_right() -> None:
    app = FastAPI()
    parent = Router(prefix="/warehouses/{code}")
    child = Router(prefix="/stocktakes")
    orphan = Router(prefix="/x")
    loose = Router(prefix="/y")
    include(parent, orphan)  # the parent's own place is not known yet
    include(app, parent, prefix="/api/v1")
    include(parent, child)
    include(loose, Router(prefix="/z"))
    assert parent.path_starts == ("/api/v1/warehouses/",)
    assert child.full_prefix == "/api/v1/warehouses/{code}/stocktakes"
    assert child.path_starts == ("/api/v1/warehouses/",)
    assert orphan.path_starts == ()
