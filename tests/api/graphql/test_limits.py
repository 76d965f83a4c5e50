"""The limits that keep /graphql safe: depth, tokens, aliases, cost and answer size, checked
before any resolver runs (the answer size after)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from graphql import parse

from api.app import create_app
from api.graphql.limits import operation_cost
from api.graphql.schema import build_schema
from inventory_service.assets import devices, places
from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings
from tests import factories
from tests.api.graphql.conftest import GQL
from tests.conftest import LiveServer, TokenFactory

COST_BOMB = (
    "{ devices(limit: 500) { items { site { devices(limit: 500) { site { devices(limit: 500) "
    "{ id } } } } } } }"
)
BOARD_100 = (
    "{ devices(limit: 100) { items { serial site { code city } "
    "components { slot serial part { name category } } } nextCursor } }"
)


def nested(levels: int) -> str:
    """A query whose deepest path has `levels` fields (sites → items → devices → site…)."""
    path = ["sites(limit: 1)", "items"]
    while len(path) < levels - 1:
        path.append("devices(limit: 1)" if path[-1] in ("items", "site") else "site")
    leaf = "code" if path[-1] in ("items", "site") else "serial"
    return "{ " + " { ".join(path) + " { " + leaf + " }" * len(path) + " }"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every call of the sites resolver's service."""
    seen: list[str] = []
    real = places.list_sites

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append("list_sites")
        return real(*args, **kwargs)

    monkeypatch.setattr(places, "list_sites", spy)
    return seen


@dataclass
class Spent:
    cpu: float = 0.0
    wall: float = 0.0


@contextmanager
def spent() -> Iterator[Spent]:
    """The CPU seconds this process (client and in-process server) and the wall seconds spent.

    CPU time is the measure that holds on a loaded CI machine (2 cores shared by many test
    runs); the wall clock is measured against a real server by `bench/hostile_inputs.py`
    (SECURITY.md's figures).
    """
    took = Spent()
    cpu, wall = time.process_time(), time.perf_counter()
    yield took
    took.cpu, took.wall = time.process_time() - cpu, time.perf_counter() - wall


def warm_up(gql: GQL, headers: dict[str, str]) -> None:
    """One small query first: the app's first GraphQL request (its lazy set-up, the token's
    first lookup) is not what a timed test measures."""
    assert gql("{ __typename }", headers)["data"] == {"__typename": "Query"}


def cost(query: str, **variables: Any) -> int:
    schema = build_schema(get_settings())._schema
    return operation_cost(schema, parse(query), variables=variables)


def test_ten_levels_run(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    answer = gql(nested(10), admin)
    assert "errors" not in answer
    assert answer["data"] == {"sites": {"items": []}}
    assert calls == ["list_sites"]


def test_eleven_levels_are_rejected_before_any_resolver_runs(
    gql: GQL, admin: dict[str, str], calls: list[str]
) -> None:
    answer = gql(nested(11), admin)
    assert answer["data"] is None
    assert "exceeds maximum operation depth" in answer["errors"][0]["message"]
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert calls == []


def test_too_many_aliases_are_rejected(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    aliased = " ".join(f"p{n}: sites {{ items {{ id }} }}" for n in range(31))
    answer = gql(f"{{ {aliased} }}", admin)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert calls == []


def test_too_many_tokens_are_rejected(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    fields = " ".join(["id"] * 4001)
    answer = gql(f"{{ sites {{ items {{ {fields} }} }} }}", admin)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert calls == []


def test_thirty_aliases_run(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    aliased = " ".join(f"p{n}: sites {{ items {{ id }} }}" for n in range(30))
    answer = gql(f"{{ {aliased} }}", admin)
    assert "errors" not in answer
    assert len(calls) == 30


# Cost: an upper bound on the objects an operation can return.


def test_cost_counts_objects_with_limits_and_fifty_for_unbounded_lists() -> None:
    assert cost("{ sites(limit: 3) { items { code } } }") == 3
    assert cost("{ sites { items { code } } }") == 50  # the argument's default
    assert cost("{ sites(limit: $n) { items { code } } }".replace("$n", "7")) == 7
    assert cost("query ($n: Int!) { sites(limit: $n) { items { code } } }", n=9) == 9
    # components has no limit: 50 components, each with its part
    assert cost('{ device(id: "1") { serial components { part { name } } } }') == 1 + 50 * 2
    # the contract's example: a 100-device page with sites, components and parts
    assert cost(BOARD_100) == 100 * (1 + 1 + 50 * 2)
    # a limit beyond the maximum counts as the maximum (the resolver refuses it anyway)
    assert cost("{ sites(limit: 100000) { items { code } } }") == 500


def test_cost_counts_every_alias_and_fragment_use() -> None:
    one = cost("{ sites(limit: 10) { items { code } } }")
    aliased = "{ a: sites(limit: 10) { items { code } } b: sites(limit: 10) { items { code } } }"
    assert cost(aliased) == 2 * one
    fragment = (
        "fragment S on Site { devices(limit: 4) { serial } } "
        "{ sites(limit: 10) { items { ...S ...S ... on Site { devices(limit: 2) { id } } } } }"
    )
    assert cost(fragment) == 10 * (1 + 4 + 4 + 2)


def test_a_hundred_device_board_runs(
    db: Database, gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.part(session, "PSU-750W")
        for n in range(3):
            factories.device(session, f"DEV-{n}", components=[("PSU1", "PSU-750W", f"C-{n}")])
    answer = gql(BOARD_100, headers_for("customer", customer="LNXX"))
    assert "errors" not in answer
    assert len(answer["data"]["devices"]["items"]) == 3


def test_the_cost_bomb_is_refused_before_any_resolver_runs(
    db: Database, gql: GQL, headers_for: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
    calls: list[object] = []
    monkeypatch.setattr(devices, "list_", lambda *a, **k: calls.append(a))
    customer = headers_for("customer", customer="LNXX")
    warm_up(gql, customer)
    with spent() as took:
        answer = gql(COST_BOMB, customer)
    assert took.cpu < 1.0
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "query_too_complex"
    assert "50,000" in answer["errors"][0]["message"]
    assert calls == []


def test_thirty_aliased_bombs_are_refused_at_once(
    gql: GQL, headers_for: TokenFactory, db: Database
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
    inner = COST_BOMB[1:-1]
    aliased = " ".join(f"a{n}: {inner}" for n in range(30))
    customer = headers_for("customer", customer="LNXX")
    warm_up(gql, customer)
    with spent() as took:
        answer = gql(f"{{ {aliased} }}", customer)
    assert took.cpu < 1.0
    assert answer["errors"][0]["extensions"]["code"] == "query_too_complex"
    assert answer["data"] is None


def test_the_cost_limit_is_a_setting(db: Database, admin: dict[str, str]) -> None:
    cfg = get_settings().model_copy(update={"graphql_max_cost": 5})
    with TestClient(create_app(database=db, cfg=cfg)) as client:
        small = client.post(
            "/graphql", json={"query": "{ sites(limit: 5) { items { code } } }"}, headers=admin
        )
        big = client.post(
            "/graphql", json={"query": "{ sites(limit: 6) { items { code } } }"}, headers=admin
        )
    assert "errors" not in small.json()
    assert big.json()["errors"][0]["extensions"]["code"] == "query_too_complex"


def test_an_answer_over_the_size_cap_is_refused(db: Database, admin: dict[str, str]) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        for n in range(20):
            factories.site(session, f"SY-{n:02}", customer_code="LNXX")
    cfg = get_settings().model_copy(update={"graphql_max_response_mb": 1 / 1024})  # 1 KiB
    query = "{ sites(limit: 20) { items { code name city address } } }"
    with TestClient(create_app(database=db, cfg=cfg)) as client:
        answer = client.post("/graphql", json={"query": query}, headers=admin).json()
        few = client.post(
            "/graphql", json={"query": "{ sites(limit: 1) { items { code } } }"}, headers=admin
        ).json()
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "query_too_complex"
    assert few["data"]["sites"]["items"] == [{"code": "SY-00"}]


def test_healthz_answers_while_cost_bombs_are_refused(live_server: LiveServer) -> None:
    with live_server.database.transaction() as session:
        factories.customer(session, "LNXX")
    customer = live_server.headers_for("customer", customer="LNXX")
    inner = COST_BOMB[1:-1]
    bomb = "{ " + " ".join(f"a{n}: {inner}" for n in range(30)) + " }"
    answers: list[tuple[float, httpx.Response]] = []
    ready = threading.Barrier(5)

    def fire() -> None:
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            ready.wait()
            started = time.perf_counter()
            answer = http.post("/graphql", json={"query": bomb}, headers=customer)
            answers.append((time.perf_counter() - started, answer))

    bombers = [threading.Thread(target=fire) for _ in range(4)]
    for bomber in bombers:
        bomber.start()
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        http.get("/healthz")  # the connection is open before the bombs go
        ready.wait()
        probes = []
        while any(bomber.is_alive() for bomber in bombers) or not probes:
            started = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            probes.append(time.perf_counter() - started)
    for bomber in bombers:
        bomber.join(timeout=60)
    assert [a.json()["errors"][0]["extensions"]["code"] for _, a in answers] == [
        "query_too_complex"
    ] * 4
    # /healthz is not queued behind the bombs: they are parsed, validated and refused off the
    # event loop, so a probe takes less than a bomb even on a loaded machine (absolute figures
    # on a real server: bench/hostile_inputs.py, SECURITY.md).
    assert statistics.median(probes) < statistics.median(seconds for seconds, _ in answers)


def fragment_bomb(levels: int, leaf: str) -> str:
    """Each fragment spreads the next twice: 2^levels copies of `leaf` from a few lines."""
    chain = " ".join(
        f"fragment F{k} on Device {{ ...F{k + 1} ...F{k + 1} }}" for k in range(levels)
    )
    return f'{{ device(id: "1") {{ ...F0 }} }} {chain} fragment F{levels} on Device {{ {leaf} }}'


def test_fragments_spread_within_fragments_are_costed_without_expanding_them() -> None:
    with spent() as took:
        assert cost(fragment_bomb(40, "site { code }")) > 50_000
        assert cost(fragment_bomb(3, "site { code }")) == 1 + 2**3
    assert took.cpu < 0.5


def test_a_fragment_bomb_is_refused_before_the_validators_expand_it(
    gql: GQL, admin: dict[str, str]
) -> None:
    warm_up(gql, admin)
    with spent() as took:
        answer = gql(fragment_bomb(40, "serial"), admin)
    assert took.cpu < 1.0
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "query_too_complex"
    assert "expands to more than" in answer["errors"][0]["message"]
    cycle = gql(
        '{ device(id: "1") { ...A } } fragment A on Device { ...B } fragment B on Device { ...A }',
        admin,
    )
    assert cycle["errors"][0]["extensions"]["code"] == "validation_error"
