"""Compiled documents answer byte for byte what the general execution answers.

Every request goes to two apps on the same database: the service as it runs (compiled
documents on) and the same service with `INVENTORY_GRAPHQL_COMPILED=false`. The compiled app
gets each request twice, since the first answer of a document is the general execution's
(the document is learned from it); both must equal the general app's, status and body to the
byte. The Prometheus counter `inventory_graphql_operations_total{path}` says which path the
second one took.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from api.app import create_app
from inventory_service.assets import register
from inventory_service.platform import auth
from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings
from models.device import ComponentCreate, DeviceCreate
from tests import factories
from tests.conftest import Statements, TokenFactory

Counting = Callable[[], AbstractContextManager[Statements]]
BOARD = (
    "query ($cursor: String) { devices(limit: 3, cursor: $cursor) { items { serial status "
    "site { code city hubBandMinutes } "
    "components { slot serial part { partNumber name category } } } nextCursor } }"
)
EVERYTHING = """
query Everything($limit: Int!, $status: DeviceStatus) {
  __typename
  devices(limit: $limit, status: $status) {
    __typename
    nextCursor
    items {
      __typename id siteCode customerCode vendor model hostname serial status
      firmwareVersion patchLevel microcodeLevel config createdAt updatedAt
      site { __typename id code name customerCode city address lat lon distanceKmOverride
             hubDistanceKm hubBandMinutes createdAt updatedAt }
      components { __typename id slot partNumber serial installedAt
                   part { __typename id partNumber name vendor category specs createdAt } }
    }
  }
}
"""


@pytest.fixture
def board(db: Database) -> Database:
    """Two customers; devices with and without components, odd configs and specs."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID", name="国网")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.site(session, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147)
        factories.site(session, "FAR-01", customer_code="LNXX", distance_km_override=900)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC", "eff": 0.94})
        factories.part(session, "HDD-1T", category="server_hdd", specs={"tb": 1}, name="硬盘 1T")
        for n, (site, parts) in enumerate(
            [
                ("SY-01", [("PSU2", "PSU-750W"), ("PSU1", "PSU-750W"), ("HDD1", "HDD-1T")]),
                ("DL-01", [("HDD1", "HDD-1T")]),
                ("FAR-01", []),
                ("SY-01", [("PSU1", "PSU-750W")]),
                ("DL-01", []),
            ]
        ):
            register.create_device(
                session,
                actor=factories.ACTOR,
                data=DeviceCreate(
                    site_code=site,
                    vendor="Huawei",
                    model="NE40E-X8",
                    hostname=f"核心-{n}",
                    serial=f"DEV-{n}",
                    firmware_version="V8" if n % 2 else None,
                    config={"ports": 48, "名": "核心\u2028", "nested": {"a": [1, 2.5, None, True]}},
                    components=[
                        ComponentCreate(slot=slot, part_number=pn, serial=f"C-{n}-{slot}")
                        for slot, pn in parts
                    ],
                ),
            )
        session.execute(text("UPDATE device SET status = 'faulty' WHERE serial = 'DEV-3'"))
    return db


@pytest.fixture
def general(db: Database) -> Iterator[TestClient]:
    """The service with compiled documents off: the general execution answers everything."""
    cfg = get_settings().model_copy(update={"graphql_compiled": False})
    with TestClient(create_app(database=db, cfg=cfg), raise_server_exceptions=False) as client:
        yield client


def compiled_count(client: TestClient) -> float:
    metrics = client.get("/metrics").text
    found = re.search(
        r'^inventory_graphql_operations_total\{path="compiled"\} (\S+)$', metrics, re.M
    )
    return float(found.group(1)) if found else 0.0


class Both:
    """Sends a request to both apps and holds them to the same answer."""

    def __init__(self, client: TestClient, general: TestClient) -> None:
        self.client = client
        self.general = general

    def __call__(
        self, headers: dict[str, str], query: str, variables: Any = None, **extra: Any
    ) -> tuple[bytes, bool]:
        """The answer's body, and whether the compiled path gave it."""
        body = {"query": query, "variables": variables, **extra}
        expected = self.general.post("/graphql", json=body, headers=headers)
        first = self.client.post("/graphql", json=body, headers=headers)
        before = compiled_count(self.client)
        second = self.client.post("/graphql", json=body, headers=headers)
        compiled = compiled_count(self.client) > before
        for answer in (first, second):
            assert (answer.status_code, answer.content) == (expected.status_code, expected.content)
        return second.content, compiled


@pytest.fixture
def both(client: TestClient, general: TestClient, board: Database) -> Both:
    return Both(client, general)


def test_the_board_is_compiled_and_answers_as_the_general_execution(
    both: Both, admin: dict[str, str]
) -> None:
    content, compiled = both(admin, BOARD)
    assert compiled
    page = json.loads(content)["data"]["devices"]
    assert [d["serial"] for d in page["items"]] == ["DEV-0", "DEV-1", "DEV-2"]
    assert [c["slot"] for c in page["items"][0]["components"]] == ["HDD1", "PSU1", "PSU2"]
    assert page["items"][2]["components"] == []
    content, compiled = both(admin, BOARD, {"cursor": page["nextCursor"]})
    assert compiled
    assert [d["serial"] for d in json.loads(content)["data"]["devices"]["items"]] == [
        "DEV-3",
        "DEV-4",
    ]


def test_every_field_of_the_board_types_as_the_general_execution_writes_it(
    both: Both, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    content, compiled = both(admin, EVERYTHING, {"limit": 10}, operationName="Everything")
    assert compiled
    items = json.loads(content)["data"]["devices"]["items"]
    assert items[0]["config"]["名"] == "核心\u2028"
    assert "\\u6838" in content.decode()  # non-ASCII written as json.dumps writes it
    assert [d["status"] for d in items].count("FAULTY") == 1
    for status in ("FAULTY", "IN_SERVICE", "RETIRED"):
        assert both(admin, EVERYTHING, {"limit": 2, "status": status})[1]
    customer = headers_for("customer", customer="LNGRID")
    content, compiled = both(customer, EVERYTHING, {"limit": 10})
    assert compiled
    assert [d["serial"] for d in json.loads(content)["data"]["devices"]["items"]] == [
        "DEV-1",
        "DEV-4",
    ]


@pytest.mark.parametrize(
    "query",
    [
        # literals, filters, aliases, repeated fields, fragments, __typename
        '{ devices(limit: 2, siteCode: "SY-01") { items { serial } } }',
        '{ devices(customerCode: "LNGRID", status: IN_SERVICE, model: "NE40E-X8") '
        "{ nextCursor items { serial site { code } } } }",
        "{ a: devices(limit: 1) { c: nextCursor x: items { s: serial } } "
        'b: devices(limit: 2, cursor: "1") { x: items { s: serial t: __typename } } }',
        "{ devices { items { serial site { code } site { city } components { slot } "
        "components { part { name } } serial } } }",
        "query Q { devices { items { ...D components { ... on Component { slot ...P } } } } } "
        "fragment D on Device { serial ...D2 } fragment D2 on Device { status site { code } } "
        "fragment P on Component { part { partNumber } }",
        "{ devices { items { ... { serial } } } }",
        '{ devices(vendor: "Huawei", firmwareVersion: "V8") { items { serial firmwareVersion } } }',
        "{ __typename }",
    ],
)
def test_compiled_documents(both: Both, admin: dict[str, str], query: str) -> None:
    assert both(admin, query)[1]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        # the general execution's refusals: the compiled path hands them back
        (BOARD, {"cursor": "zz"}),  # not a cursor this service issued
        (BOARD, {"cursor": "ab\u0000"}),  # NUL in a variable
        (BOARD, {"cursor": 5}),  # a variable of the wrong type
        (BOARD, {"cursor": "1", "unused": "x\u0000"}),  # NUL in any variable
        ("query ($l: Int!) { devices(limit: $l) { items { serial } } }", {"l": 501}),
        ("query ($l: Int!) { devices(limit: $l) { items { serial } } }", {"l": 0}),
        ("query ($l: Int!) { devices(limit: $l) { items { serial } } }", {}),
        ("query ($s: String) { devices(siteCode: $s) { items { serial } } }", {"s": "X" * 70}),
        # filters `devices.list_` reads its own way
        ('{ devices(serial: "DEV-1") { items { serial } } }', None),
        ('{ devices(patchLevelBelow: "V9") { items { serial } } }', None),
    ],
)
def test_refusals_and_other_readings_go_the_general_way(
    both: Both, admin: dict[str, str], query: str, variables: Any
) -> None:
    assert not both(admin, query, variables)[1]


@pytest.mark.parametrize(
    "query",
    [
        "{ devices { items { serial history { action } } } }",  # a field it does not compile
        "{ devices { items { components { part { alternates { partNumber } } } } } }",
        "{ devices { items { serial @include(if: true) } } }",  # a directive
        "{ devices { items { serial } } sites { items { code } } }",  # another root field
        "{ devices { items { serial } }",  # does not parse
        "{ devices { items { serial nope } } }",  # not valid
        "{ devices { items { site { devices { components { part { substitutes { "
        "substitutes { substitutes { name } } } } } } } } } }",  # too deep
        "query A { devices { items { serial } } } query B { __typename }",  # which one?
        "{ devices { items { serial x: serial(arg: 1) } } }",
    ],
)
def test_documents_it_does_not_compile_go_the_general_way(
    both: Both, admin: dict[str, str], query: str
) -> None:
    assert not both(admin, query)[1]


def test_a_named_operation_of_several_is_compiled(both: Both, admin: dict[str, str]) -> None:
    query = "query A { devices { items { serial } } } query B { __typename }"
    assert both(admin, query, operationName="B")[1]
    assert both(admin, query, operationName="A")[1]
    assert not both(admin, query, operationName="C")[1]


def test_auth_is_the_same(both: Both, headers_for: TokenFactory) -> None:
    assert not both({}, BOARD)[1]
    assert not both({"Authorization": "Bearer nope"}, BOARD)[1]
    for role in ("warehouse", "dispatcher", "engineer", "reporter", "customer"):
        headers = headers_for(role, customer="LNXX" if role == "customer" else None)
        assert both(headers, BOARD)[1]


def test_the_general_execution_reads_a_board_in_as_few_statements_for_500_devices(
    general: TestClient, board: Database, admin: dict[str, str], statements: Counting
) -> None:
    with board.transaction() as session:
        for n in range(40):
            factories.device(session, f"BULK-{n}", components=[("PSU1", "PSU-750W", f"B-{n}")])

    def ask(limit: int) -> int:
        body = {"query": BOARD.replace("limit: 3", f"limit: {limit}")}
        with statements() as counted:
            assert "errors" not in general.post("/graphql", json=body, headers=admin).json()
        return counted.count

    assert ask(2) == ask(45) > 0


def test_the_compiled_board_is_one_statement(
    client: TestClient, board: Database, admin: dict[str, str]
) -> None:
    body = {"query": BOARD}
    client.post("/graphql", json=body, headers=admin)  # learned
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    assert board._bind is not None
    event.listen(board._bind.engine, "before_cursor_execute", record)
    try:
        client.post("/graphql", json=body, headers=admin)
    finally:
        event.remove(board._bind.engine, "before_cursor_execute", record)
    reads = [s for s in sent if "FROM" in s and "api_token" not in s]
    assert len(reads) == 1
    assert all(table in reads[0] for table in ("device", "component", "part", "site"))


COSTED = (
    "query ($limit: Int!) { devices(limit: $limit) { items { serial "
    "components { slot part { name } } } } }"
)


def test_the_cost_limit_is_checked_with_each_requests_variables(
    both: Both, admin: dict[str, str]
) -> None:
    # 500 devices × (1 + 50 components × (1 + a part)) = 50,500 > 50,000: refused.
    assert both(admin, COSTED, {"limit": 3})[1]  # learned with a cheap page
    content, compiled = both(admin, COSTED, {"limit": 500})
    assert not compiled
    assert json.loads(content)["errors"][0]["extensions"]["code"] == "query_too_complex"
    assert not both(admin, COSTED.replace("$limit", "500").replace("($limit: Int!) ", ""))[1]


def test_an_answer_over_the_size_cap_goes_the_general_way(
    board: Database, admin: dict[str, str]
) -> None:
    cfg = get_settings().model_copy(update={"graphql_max_response_mb": 0.0005})  # 524 bytes
    general_cfg = cfg.model_copy(update={"graphql_compiled": False})
    with (
        TestClient(create_app(database=board, cfg=cfg)) as client,
        TestClient(create_app(database=board, cfg=general_cfg)) as general,
    ):
        check = Both(client, general)
        assert check(admin, "{ devices(limit: 1) { items { serial } } }")[1]
        content, compiled = check(admin, BOARD)
    assert not compiled
    assert json.loads(content)["errors"][0]["extensions"]["code"] == "query_too_complex"


def test_on_a_database_of_its_own_the_board_reads_without_a_transaction(
    committed_db: Database, headers_for: TokenFactory
) -> None:
    """Outside the tests' shared connection, a board is one statement without BEGIN on
    PostgreSQL (`Database.single_statement`), and still the general execution's answer."""
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01")
        factories.part(session, "PSU-750W")
        factories.device(session, "DEV-1", components=[("PSU1", "PSU-750W", "C-1")])
    with committed_db.transaction() as session:
        issued = auth.create_token(session, role="admin").token
    headers = {"Authorization": f"Bearer {issued}"}
    cfg = get_settings().model_copy(update={"graphql_compiled": False})
    with (
        TestClient(create_app(database=committed_db)) as client,
        TestClient(create_app(database=committed_db, cfg=cfg)) as general,
    ):
        check = Both(client, general)
        sent: list[tuple[str, bool]] = []

        def record(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            sent.append(
                (statement, getattr(conn.connection.dbapi_connection, "autocommit", 0) is True)
            )

        event.listen(committed_db.engine, "before_cursor_execute", record)
        try:
            content, compiled = check(headers, BOARD)
        finally:
            event.remove(committed_db.engine, "before_cursor_execute", record)
    assert compiled
    assert json.loads(content)["data"]["devices"]["items"][0]["serial"] == "DEV-1"
    boards = [autocommit for statement, autocommit in sent if "component" in statement]
    expected = committed_db.dialect == "postgresql"
    assert len(boards) == 3  # the general app's, the first (learning) and the compiled one
    assert boards[-1] is expected  # no transaction around it on PostgreSQL
