"""REST and GraphQL give one answer: every list and its GraphQL twin, for every role and two
customers, page by page and filter by filter, on the Liaoning demo data.

A list added to either surface without its twin (or without being named as having none)
fails `test_every_list_is_paired`; a filter added to one surface only fails
`test_both_surfaces_take_the_filters_declared_once`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from fastapi.testclient import TestClient
from graphql import GraphQLEnumType, GraphQLNonNull, GraphQLObjectType

from api import filters as surface_filters
from api.app import create_app
from api.graphql.schema import Query
from inventory_service.assets import devices, places
from inventory_service.lifecycle import loans, repairs, replacements, reservations
from inventory_service.platform.db import Database
from inventory_service.warehouse import catalogue, stock
from models.auth import Role
from seed import loader
from tests.api.graphql.conftest import camel, fields_of_rows, normalise
from tests.conftest import TokenFactory


@dataclass(frozen=True)
class Twin:
    rest: str
    graphql: str
    filters: type[Any]


TWINS = (
    Twin("/api/v1/customers", "customers", places.CustomerFilter),
    Twin("/api/v1/sites", "sites", places.SiteFilter),
    Twin("/api/v1/warehouses", "warehouses", places.WarehouseFilter),
    Twin("/api/v1/devices", "devices", devices.DeviceFilter),
    Twin("/api/v1/parts", "parts", catalogue.PartFilter),
    Twin("/api/v1/spares", "spares", stock.SpareFilter),
    Twin("/api/v1/reservations", "reservations", reservations.ReservationFilter),
    Twin("/api/v1/replacements", "replacements", replacements.ReplacementFilter),
    Twin("/api/v1/repairs", "repairs", repairs.RepairFilter),
    Twin("/api/v1/loans", "loans", loans.LoanFilter),
)

# Lists of one parent (a device's history, a unit's movements, a warehouse's stocktakes) are
# read through their parent in GraphQL (`Device.history`...) or only over REST.
REST_ONLY = frozenset(
    {
        "/api/v1/devices/{device_id}/history",
        "/api/v1/spares/{spare_id}/movements",
        "/api/v1/warehouses/{code}/stocktakes",
    }
)
# Lists of one parent on both surfaces, held to the same filters (none but the page).
PARENT_TWINS = {"/api/v1/replacements/{replacement_id}/edits": "replacementEdits"}
PAGE = frozenset({"limit", "cursor"})


def _rest_lists() -> dict[str, list[str]]:
    """Every REST list (an answer of `PageOf`) with its query parameters, from the schema."""
    found = {}
    for path, operations in create_app().openapi()["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        answer = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if answer.get("schema", {}).get("$ref", "").split("/")[-1].startswith("PageOf"):
            found[path] = [p["name"] for p in get.get("parameters", []) if p["in"] == "query"]
    return found


def _graphql_lists() -> dict[str, list[str]]:
    schema = strawberry.Schema(query=Query)._schema
    found = {}
    for name, field in schema.query_type.fields.items():
        kind = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if isinstance(kind, GraphQLObjectType) and kind.name.endswith("Page"):
            found[name] = list(field.args)
    return found


def test_every_list_is_paired() -> None:
    rest = set(_rest_lists())
    graphql = set(_graphql_lists())
    assert rest == {t.rest for t in TWINS} | REST_ONLY | set(PARENT_TWINS)
    assert graphql == {t.graphql for t in TWINS} | set(PARENT_TWINS.values())


@pytest.mark.parametrize("twin", TWINS, ids=lambda t: t.graphql)
def test_both_surfaces_take_the_filters_declared_once(twin: Twin) -> None:
    """Each list's REST query parameters and GraphQL arguments are its filter's fields."""
    declared = surface_filters.names(twin.filters)
    rest = [n for n in _rest_lists()[twin.rest] if n not in PAGE]
    graphql = [n for n in _graphql_lists()[twin.graphql] if n not in PAGE]
    assert sorted(rest) == sorted(declared)
    assert graphql == [camel(n) for n in declared]


# --- The answers ----------------------------------------------------------------------------

CALLERS = [(role.value, None) for role in Role if role is not Role.CUSTOMER] + [
    ("customer", "LNXX"),
    ("customer", "LNGRID"),
]
FILTERING = ("admin:None", "customer:LNXX")  # callers that also try every filter


def _enum_arguments() -> dict[str, set[str]]:
    """Per GraphQL list, the arguments whose values are enums (written upper-case, unquoted)."""
    schema = strawberry.Schema(query=Query)._schema
    found: dict[str, set[str]] = {}
    for name, field in schema.query_type.fields.items():
        found[name] = {
            arg
            for arg, spec in field.args.items()
            if isinstance(getattr(spec.type, "of_type", spec.type), GraphQLEnumType)
        }
    return found


def _arguments(query: dict[str, Any], enums: set[str]) -> str:
    written = []
    for key, value in query.items():
        name = camel(key)
        written.append(f"{name}: {value.upper() if name in enums else json.dumps(value)}")
    return ", ".join(written)


def _graphql_page(
    client: TestClient, twin: Twin, headers: dict[str, str], args: str, selection: str
) -> tuple[bool, Any]:
    query = f"{{ {twin.graphql}({args}) {{ items {{ {selection} }} nextCursor }} }}"
    body = client.post("/graphql", json={"query": query}, headers=headers).json()
    if body.get("errors"):
        return False, body["errors"][0]["extensions"]["code"]
    return True, body["data"][twin.graphql]


def _compare(
    client: TestClient,
    twin: Twin,
    headers: dict[str, str],
    params: dict[str, Any],
    selection: str,
) -> int:
    """REST and GraphQL answer the same two pages (or the same error); items compared, with
    `selection` (every field of the list's rows, nested lists expanded where any row has one)."""
    enums = _enum_arguments()[twin.graphql]
    compared, cursor = 0, None
    for _ in range(2):
        query = params | {"limit": 7} | ({"cursor": cursor} if cursor else {})
        rest = client.get(twin.rest, params=query, headers=headers)
        args = _arguments(query, enums)
        if rest.status_code != 200:
            code = rest.json()["error"]["code"]
            assert _graphql_page(client, twin, headers, args, "__typename") == (False, code)
            return compared
        page = rest.json()
        ok, answer = _graphql_page(
            client, twin, headers, args, selection if page["items"] else "__typename"
        )
        assert ok, (twin.graphql, params, answer)
        if not page["items"]:
            assert answer == {"items": [], "nextCursor": None}
            return compared
        assert normalise(answer) == normalise(page), (twin.graphql, params)
        compared += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return compared


def _filter_cases(client: TestClient, twin: Twin, admin: dict[str, str]) -> list[dict[str, Any]]:
    """No filter, then each declared filter set to a value the last listed item has."""
    items = client.get(twin.rest, params={"limit": 500}, headers=admin).json()["items"]
    sample = items[-1] if items else {}
    return [{}] + [
        {name: sample[name]}
        for name in surface_filters.names(twin.filters)
        if sample.get(name) is not None and not isinstance(sample[name], dict | list)
    ]


def test_rest_and_graphql_answer_alike_for_every_caller(
    db: Database, client: TestClient, headers_for: TokenFactory
) -> None:
    loader.load_demo(db)
    callers = {f"{r}:{c}": headers_for(r, customer=c) for r, c in CALLERS}
    for twin in TWINS:
        cases = _filter_cases(client, twin, callers["admin:None"])
        every = client.get(twin.rest, params={"limit": 500}, headers=callers["admin:None"])
        selection = fields_of_rows(every.json()["items"])
        compared = 0
        for caller, headers in callers.items():
            for params in cases if caller in FILTERING else cases[:1]:
                compared += _compare(client, twin, headers, params, selection)
        assert compared > 0, f"nothing compared for {twin.graphql}"


def test_a_filter_bound_is_the_same_error_on_both_surfaces(
    client: TestClient, admin: dict[str, str]
) -> None:
    long = "S" * 101
    rest = client.get("/api/v1/devices", params={"serial": long}, headers=admin)
    assert rest.status_code == 422
    assert rest.json()["error"]["details"][0]["field"] == "serial"
    query = f'{{ devices(serial: "{long}") {{ items {{ id }} }} }}'
    body = client.post("/graphql", json={"query": query}, headers=admin).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "validation_error"
    assert body["errors"][0]["extensions"]["details"][0]["field"] == "serial"


def test_graphql_sites_filter_by_band_and_cover_as_rest(
    db: Database, client: TestClient, admin: dict[str, str]
) -> None:
    loader.load_demo(db)
    for params, args in (
        ({"hub_band_minutes": 180}, "hubBandMinutes: 180"),
        ({"covered": "false"}, "covered: false"),
        ({"covered": "true", "limit": 500}, "covered: true, limit: 500"),
    ):
        rest = client.get("/api/v1/sites", params=params, headers=admin).json()["items"]
        query = f"{{ sites({args}) {{ items {{ code }} }} }}"
        body = client.post("/graphql", json={"query": query}, headers=admin).json()
        assert [s["code"] for s in body["data"]["sites"]["items"]] == [s["code"] for s in rest]
    assert rest, "the demo has covered sites"


def test_the_spares_summary_takes_the_spares_filters_on_both_surfaces() -> None:
    schema = strawberry.Schema(query=Query)._schema
    rest = create_app().openapi()["paths"]["/api/v1/spares/summary"]["get"]["parameters"]
    declared = surface_filters.names(stock.SpareFilter)
    assert sorted(p["name"] for p in rest if p["in"] == "query") == sorted(declared)
    assert list(schema.query_type.fields["sparesSummary"].args) == [camel(n) for n in declared]
