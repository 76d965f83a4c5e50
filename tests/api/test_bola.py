"""BOLA sweep: customer A never reads or changes customer B's objects, on any route or field.

The operations are enumerated from the app itself (REST routes from `app.routes`, GraphQL
Query and Mutation fields from the strawberry schema), and each one has at least one case in
`bola_rest.py` or `bola_graphql.py`: a new route or field without a case fails
`test_every_*_has_a_case`. Each case aims at one of B's objects (or names B's codes in a
filter) and runs with both customers' tokens:
- OWN, a read of one object of B's: B gets it (so the case aims at something real), A gets 404
  (GraphQL: null, or a `not_found` error);
- LIST, a list or a summary: B's answer shows B's things, A's answer holds nothing of B's;
- SHARED, the catalogue every role reads (parts, warehouses): both get it;
- STAFF, a read no customer may make (reservations, repairs, stocktakes, edits): 403
  (`forbidden`) for both;
- WRITE: 403 for both, and nothing changes (an admin's view of everything, before and after).
"Holds something of B's" is "holds the text BETA" (`tests/api/bola_world.py`). When a request
names one of B's codes, A's answer must also be the very answer A gets for a code that names
nothing (GHOST in place of BETA): A cannot even tell that B's code exists. Both databases.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from graphql import GraphQLObjectType

from inventory_service.platform.db import Database
from tests.api import bola_world
from tests.api.bola_graphql import Field, graphql_fields
from tests.api.bola_rest import API, Case, rest_cases
from tests.api.bola_world import MARKER, WAREHOUSE, A, B, Kind, World
from tests.conftest import TokenFactory

GHOST = "GHOST"  # stands in for BETA in a code that names nothing at all


def rest_routes() -> set[tuple[str, str]]:
    """Every REST operation the app serves under /api/v1 (from the app, not from a list)."""
    from api.app import create_app

    found = set()
    for context in iter_route_contexts(create_app().routes):
        route = context.route
        if isinstance(route, APIRoute) and context.path and context.path.startswith(API):
            found.update((method, context.path) for method in route.methods or ())
    return found


def graphql_root_fields() -> set[str]:
    """Every Query and Mutation field of the schema the app serves.

    Subscriptions are left to `tests/api/graphql/test_subscriptions.py` (a customer may watch
    only the parts it may see), which needs Redis.
    """
    from api.graphql.schema import build_schema
    from inventory_service.platform.settings import get_settings

    schema = build_schema(get_settings())._schema
    roots = [schema.query_type, schema.mutation_type]
    return {name for root in roots if isinstance(root, GraphQLObjectType) for name in root.fields}


def test_every_rest_route_has_a_case() -> None:
    cases = rest_cases(World(*range(1, 11)))
    assert {(c.method, c.route) for c in cases} == rest_routes()


def test_every_graphql_field_has_a_case() -> None:
    fields = graphql_fields(World(*range(1, 11)))
    assert {f.name for f in fields} == graphql_root_fields()


@pytest.fixture
def world(db: Database) -> World:
    return bola_world.build(db)


@pytest.fixture
def tokens(headers_for: TokenFactory) -> dict[str, dict[str, str]]:
    return {
        "A": headers_for("customer", customer=A),
        "B": headers_for("customer", customer=B),
        "admin": headers_for("admin"),
    }


def snapshot(client: TestClient, w: World, admin: dict[str, str]) -> dict[str, Any]:
    """Everything an admin reads of both customers' things (for "nothing changed")."""
    paths = [
        "/customers",
        "/sites",
        "/warehouses",
        "/parts",
        "/devices?limit=500",
        f"/devices/{w.device}/history",
        "/spares?limit=500",
        f"/spares/{w.spare}/movements",
        "/reservations",
        "/replacements",
        "/repairs",
        "/loans",
        f"/warehouses/{WAREHOUSE}/stocktakes",
    ]
    return {path: client.get(API + path, headers=admin).json() for path in paths}


def send(client: TestClient, case: Case, headers: dict[str, str], *, ghost: bool = False) -> Any:
    """The case's request; with `ghost`, every BETA in its URL and query names nothing."""
    url, params = case.target, case.params
    if ghost:
        url = url.replace(MARKER, GHOST)
        params = {k: str(v).replace(MARKER, GHOST) for k, v in params.items()}
    if isinstance(case.body, tuple):
        name, text = case.body
        files = {"file": (name, text.encode(), "text/csv")}
        return client.request(case.method, url, params=params, headers=headers, files=files)
    return client.request(case.method, url, params=params, headers=headers, json=case.body)


def _owner_problem(kind: Kind, status: int, text: str, opaque: bool) -> str | None:
    """What is wrong with B's own answer (None: nothing)."""
    if kind in (Kind.STAFF, Kind.WRITE):
        return None if status == 403 and '"forbidden"' in text else f"B got {status}, not 403"
    if status != 200:
        return f"B got {status}: {text[:200]}"
    if kind is not Kind.SHARED and not opaque and MARKER not in text:
        return "B's answer does not show B's things: the case aims at nothing"
    return None


def _outsider_problem(kind: Kind, status: int, text: str, *, names_b: bool) -> str | None:
    """What is wrong with A's answer (None: nothing).

    A list filtered by one of B's codes may answer as it answers a code that names nothing
    (200 empty, 404 or 422 "unknown"): the caller checked that both answers are the same.
    """
    if kind in (Kind.STAFF, Kind.WRITE):
        if status != 403 or '"forbidden"' not in text:
            return f"A got {status}, not 403"
    elif kind is Kind.OWN and (status != 404 or '"not_found"' not in text):
        return f"A got {status}, not 404: {text[:200]}"
    elif kind in (Kind.LIST, Kind.SHARED) and status not in (
        (200, 404, 422) if names_b else (200,)
    ):
        return f"A got {status}: {text[:200]}"
    if kind is not Kind.SHARED and MARKER in text:
        return f"A's answer holds B's things: {text[:300]}"
    return None


def _rest_problems(client: TestClient, case: Case, tokens: dict[str, dict[str, str]]) -> list[str]:
    name = f"{case.method} {case.target} {case.params or ''}"
    problems = []
    owner = send(client, case, tokens["B"])
    owner_text = "" if case.opaque and owner.status_code == 200 else owner.text
    if case.owner_sees:
        found = _owner_problem(case.kind, owner.status_code, owner_text, case.opaque)
    else:
        found = None if owner.status_code == 404 else f"B got {owner.status_code}, not 404"
    if found:
        problems.append(f"{name}: {found}")
    outsider = send(client, case, tokens["A"])
    text = outsider.text
    names_b = MARKER in case.target + json.dumps(case.params) and case.kind is not Kind.SHARED
    if names_b:
        # A must not tell B's code from a code that names nothing: the same answer to both.
        ghost = send(client, case, tokens["A"], ghost=True)
        if (ghost.status_code, ghost.text.replace(GHOST, MARKER)) != (outsider.status_code, text):
            problems.append(f"{name}: A's answer differs from a code that names nothing")
        text = text.replace(MARKER, GHOST)
    found = _outsider_problem(case.kind, outsider.status_code, text, names_b=names_b)
    if found:
        problems.append(f"{name}: {found}")
    return problems


def test_customer_a_never_reads_or_changes_customer_bs_objects_over_rest(
    client: TestClient, world: World, tokens: dict[str, dict[str, str]]
) -> None:
    before = snapshot(client, world, tokens["admin"])
    problems = [p for case in rest_cases(world) for p in _rest_problems(client, case, tokens)]
    assert problems == []
    assert snapshot(client, world, tokens["admin"]) == before


def _graphql_problem(
    kind: Kind, who: str, name: str, answer: dict[str, Any], *, names_b: bool = False
) -> str | None:
    data = answer.get("data") or {}
    value = data.get(name)
    codes = [(e.get("extensions") or {}).get("code") for e in answer.get("errors") or []]
    text = json.dumps(answer, ensure_ascii=False)
    if kind in (Kind.STAFF, Kind.WRITE):
        return None if value is None and codes == ["forbidden"] else f"{who} got {text[:200]}"
    if who == "B":
        if codes or value is None:
            return f"B got {text[:200]}"
        return None if kind is Kind.SHARED or MARKER in text else "B's answer shows nothing of B's"
    if kind is Kind.OWN:
        if value is not None or set(codes) - {"not_found"}:
            return f"A got {text[:300]}"
    elif not names_b and (codes or value is None):
        return f"A got {text[:200]}"
    elif set(codes) - {"not_found", "validation_error"}:
        return f"A got {text[:200]}"
    if kind is not Kind.SHARED and MARKER in text:
        return f"A's answer holds B's things: {text[:300]}"
    return None


def _ask(
    client: TestClient, case: Field, headers: dict[str, str], *, ghost: bool = False
) -> tuple[int, str]:
    """The field's operation; with `ghost`, every BETA in it names nothing."""
    request = json.dumps({"query": case.document, "variables": case.variables})
    if ghost:
        request = request.replace(MARKER, GHOST)
    response = client.post(
        "/graphql", content=request, headers=headers | {"content-type": "application/json"}
    )
    return response.status_code, response.text


def _field_problems(
    client: TestClient, case: Field, tokens: dict[str, dict[str, str]]
) -> list[str]:
    name = case.document[:100]
    problems = []
    status, text = _ask(client, case, tokens["B"])
    found = _graphql_problem(case.kind, "B", case.name, json.loads(text))
    if status != 200 or found:
        problems.append(f"{name}: {found or status}")
    status, text = _ask(client, case, tokens["A"])
    names_b = MARKER in case.document + json.dumps(case.variables) and case.kind is not Kind.SHARED
    if names_b:
        ghost = _ask(client, case, tokens["A"], ghost=True)
        if (ghost[0], ghost[1].replace(GHOST, MARKER)) != (status, text):
            problems.append(f"{name}: A's answer differs from a code that names nothing")
        text = text.replace(MARKER, GHOST)
    found = _graphql_problem(case.kind, "A", case.name, json.loads(text), names_b=names_b)
    if status != 200 or found:
        problems.append(f"{name}: {found or status}")
    return problems


def test_customer_a_never_reads_or_changes_customer_bs_objects_over_graphql(
    client: TestClient, world: World, tokens: dict[str, dict[str, str]]
) -> None:
    before = snapshot(client, world, tokens["admin"])
    problems = [p for case in graphql_fields(world) for p in _field_problems(client, case, tokens)]
    assert problems == []
    assert snapshot(client, world, tokens["admin"]) == before
