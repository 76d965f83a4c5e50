"""Types that match the columns: impossible ids, texts over their column, NUL characters.

Each of these used to reach the database and answer 500 on PostgreSQL (ids beyond 64 bits on
SQLite too); every case runs on both databases (the `db` fixture is parametrised).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String
from sqlmodel import SQLModel, func, select

from inventory_service.platform.db import Database
from inventory_service.platform.pagination import encode_cursor
from models import (
    Component,
    Customer,
    Device,
    DeviceHistory,
    Loan,
    Movement,
    Part,
    PartAlternate,
    RepairOrder,
    Replacement,
    Reservation,
    Site,
    SpareUnit,
    Stocktake,
    Warehouse,
    bounds,
)
from models.base import RequestModel
from tests import factories

API = "/api/v1"
TOO_BIG = str(2**63)  # one past the largest 64-bit signed integer
HUGE = "9" * 40


@pytest.fixture
def stocked(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.warehouse(session, "WH-SY", handling_minutes=15)
        factories.part(session, "PSU-750W", specs={"watts": 750})
        factories.spare(session, "U1", part_number="PSU-750W")
        factories.device(session, "DEV-1", components=[("PSU1", "PSU-750W", "C-1")])
    return db


def count(db: Database, table: type[SQLModel]) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


@pytest.mark.parametrize(
    "path",
    [
        f"/devices/{TOO_BIG}",
        f"/devices/{2**31}",
        "/loans/322934244001902",
        "/replacements/19930197582426",
        f"/devices/{HUGE}/history",
        "/devices/0",
        "/devices/-1",
        f"/spares/{TOO_BIG}",
        f"/spares/{TOO_BIG}/movements",
        f"/reservations/{TOO_BIG}",
        f"/replacements/{HUGE}",
        f"/repairs/{TOO_BIG}",
        f"/loans/{TOO_BIG}",
        f"/warehouses/WH-SY/stocktakes/{TOO_BIG}",
        "/devices/abc",
    ],
)
@pytest.mark.usefixtures("stocked")
def test_an_impossible_id_in_a_path_is_not_found(
    client: TestClient, admin: dict[str, str], path: str
) -> None:
    answer = client.get(API + path, headers=admin)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.usefixtures("stocked")
def test_an_impossible_id_in_a_write_path_is_not_found_and_changes_nothing(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    before = count(db, Movement)
    for path in (f"/reservations/{TOO_BIG}/cancel", f"/spares/{TOO_BIG}/verify"):
        answer = client.post(API + path, json={}, headers=admin)
        assert answer.status_code == 404, (path, answer.text)
    answer = client.patch(f"{API}/devices/{TOO_BIG}", json={"hostname": "x"}, headers=admin)
    assert answer.status_code == 404, answer.text
    answer = client.patch(f"{API}/spares/{TOO_BIG}", json={"firmware_version": "x"}, headers=admin)
    assert answer.status_code == 404, answer.text
    assert count(db, Movement) == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/availability?device_id={TOO_BIG}&slot=PSU1", "device_id"),
        ("/availability?device_id=0&slot=PSU1", "device_id"),
        (f"/replacements?device_id={HUGE}", "device_id"),
        (f"/repairs?spare_id={TOO_BIG}", "spare_id"),
        (f"/devices?cursor={encode_cursor(2**63)}", "cursor"),
        (f"/sites?cursor={encode_cursor(2**31)}", "cursor"),
        ("/sites?cursor=059e7c003051d875", "cursor"),
        (f"/spares?cursor={encode_cursor(2**70)}", "cursor"),
        ("/customers?cursor=aWQ6MTI", "cursor"),
    ],
)
@pytest.mark.usefixtures("stocked")
def test_an_impossible_id_in_a_query_or_cursor_is_422_naming_it(
    client: TestClient, admin: dict[str, str], path: str, field: str
) -> None:
    answer = client.get(API + path, headers=admin)
    assert answer.status_code == 422, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/reservations",
            {"site_code": "SY-01", "part_number": "PSU-750W", "ticket": "T", "engineer": "E"}
            | {"spare_id": 2**63},
            "spare_id",
        ),
        (
            "/reservations",
            {"site_code": "SY-01", "part_number": "PSU-750W", "ticket": "T", "engineer": "E"}
            | {"device_id": 2**64},
            "device_id",
        ),
        ("/repairs", {"spare_id": 2**63, "vendor": "Huawei", "rma_number": "R1"}, "spare_id"),
        ("/repairs", {"spare_id": 459491925194, "vendor": "V", "rma_number": "R"}, "spare_id"),
        (
            "/loans",
            {"standby_device_id": 0, "site_code": "SY-01", "replaces_device_id": 1, "ticket": "T"},
            "standby_device_id",
        ),
    ],
)
@pytest.mark.usefixtures("stocked")
def test_an_impossible_id_in_a_body_is_422_and_changes_nothing(
    client: TestClient, admin: dict[str, str], db: Database, path: str, body: Any, field: str
) -> None:
    before = count(db, Movement), count(db, Reservation)
    answer = client.post(API + path, json=body, headers=admin | {"Idempotency-Key": "k-" + field})
    assert answer.status_code == 422, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]]
    assert (count(db, Movement), count(db, Reservation)) == before


@pytest.mark.usefixtures("stocked")
def test_a_text_over_its_column_is_422_never_stored(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    too_long = {"part_number": "PSU-X", "name": "n", "vendor": "V" * 101, "category": "psu"}
    answer = client.post(f"{API}/parts", json=too_long | {"specs": {}}, headers=admin)
    assert answer.status_code == 422, answer.text
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["vendor"]
    device_id = factories_device_id(db)
    answer = client.patch(
        f"{API}/devices/{device_id}",
        json={"hostname": "h2", "reference": "R" * 201},
        headers=admin,
    )
    assert answer.status_code == 422, answer.text
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["reference"]
    answer = client.patch(
        f"{API}/devices/{device_id}", json={"hostname": "h2", "reference": "R" * 200}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    assert count(db, Part) == 1


def factories_device_id(db: Database) -> int:
    with db.session() as session:
        device_id = session.exec(select(Device.id).where(Device.serial == "DEV-1")).one()
    assert device_id is not None
    return device_id


@pytest.mark.usefixtures("stocked")
def test_a_reservation_with_the_longest_ticket_is_made_and_its_ledger_reference_fits(
    client: TestClient, headers_for: Any, db: Database
) -> None:
    engineer = headers_for("engineer")
    body = {"site_code": "SY-01", "part_number": "PSU-750W", "ticket": "票" * 200}
    body["engineer"] = "E" * 200
    first = client.post(
        f"{API}/reservations", json=body, headers=engineer | {"Idempotency-Key": "L"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["ticket"] == "票" * 200  # the reservation keeps the ticket whole
    again = client.post(
        f"{API}/reservations", json=body, headers=engineer | {"Idempotency-Key": "L"}
    )
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    with db.session() as session:
        references = session.exec(select(Movement.reference)).all()
    assert any(r and r.startswith("reservation:") for r in references)
    assert all(r is None or len(r) <= bounds.REFERENCE for r in references)


def test_fit_leaves_short_text_alone_and_marks_a_cut() -> None:
    assert bounds.fit(None) is None
    assert bounds.fit("x" * 200) == "x" * 200
    fitted = bounds.fit("x" * 201)
    assert fitted is not None
    assert len(fitted) == 200
    assert fitted.endswith("…")


@pytest.mark.usefixtures("stocked")
def test_nul_in_a_body_even_nested_is_422_naming_the_field(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    answer = client.post(f"{API}/customers", json={"code": "C1", "name": "a\x00b"}, headers=admin)
    assert answer.status_code == 422, answer.text
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["name"]
    assert "NUL" in answer.json()["error"]["details"][0]["reason"]
    device_id = factories_device_id(db)
    answer = client.patch(
        f"{API}/devices/{device_id}", json={"config": {"a": ["ok", "x\x00"]}}, headers=admin
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["field"] == "config"
    answer = client.patch(
        f"{API}/devices/{device_id}", json={"config": {"k\x00": 1}}, headers=admin
    )
    assert answer.status_code == 422, answer.text
    assert count(db, Customer) == 1
    with db.session() as session:
        assert [h.action for h in session.exec(select(DeviceHistory)).all()] == ["created"]


@pytest.mark.parametrize(
    ("method", "path", "location", "field"),
    [
        ("GET", "/devices?serial=a%00b", "query", "serial"),
        ("GET", "/sites/SY%0001", "path", "path"),
        ("GET", "/spares?part_number=%00", "query", "part_number"),
        ("POST", "/customers", "header", "idempotency-key"),
    ],
)
@pytest.mark.usefixtures("stocked")
def test_nul_in_a_query_path_or_header_is_422(
    client: TestClient,
    admin: dict[str, str],
    db: Database,
    method: str,
    path: str,
    location: str,
    field: str,
) -> None:
    headers = admin | ({"Idempotency-Key": "k\x00"} if location == "header" else {})
    answer = client.request(
        method,
        API + path,
        headers=headers,
        json={"code": "C2", "name": "n"} if method == "POST" else None,
    )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["error"]["details"][0]
    assert (detail["location"], detail["field"]) == (location, field)
    assert count(db, Customer) == 1


@pytest.mark.usefixtures("stocked")
def test_graphql_refuses_impossible_ids_and_nul(client: TestClient, admin: dict[str, str]) -> None:
    def gql(query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        answer = client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    for value in (TOO_BIG, HUGE, str(2**31), "0", "-3", "1e3", ""):
        answer = gql("query($id: ID!) { device(id: $id) { serial } }", admin, id=value)
        assert answer["errors"][0]["extensions"]["code"] == "validation_error", (value, answer)
    answer = gql('{ devices(serial: "a\\u0000b") { items { id } } }', admin)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    answer = gql("query($s: String) { devices(serial: $s) { items { id } } }", admin, s="a\x00b")
    assert answer["errors"][0]["extensions"]["details"][0]["field"] == "variables.s"
    answer = gql(
        'mutation($k: String!) { reserve(input: {siteCode: "SY-01", partNumber: "PSU-750W",'
        ' ticket: "T", engineer: "E", spareId: "' + TOO_BIG + '"}, idempotencyKey: $k) { id } }',
        admin,
        k="g1",
    )
    assert answer["errors"][0]["extensions"]["code"] == "validation_error", answer


# The column each request schema's fields land in, where the field's name is not the column's.
TABLE_OF: dict[str, type[SQLModel]] = {
    "CustomerCreate": Customer,
    "SiteCreate": Site,
    "SiteUpdate": Site,
    "WarehouseCreate": Warehouse,
    "PartCreate": Part,
    "AlternateCreate": PartAlternate,
    "DeviceCreate": Device,
    "DeviceUpdate": Device,
    "ComponentCreate": Component,
    "ComponentInstall": Component,
    "ComponentSwap": Component,
    "SpareReceive": SpareUnit,
    "Provenance": SpareUnit,
    "SpareVerify": SpareUnit,
    "SpareTransfer": SpareUnit,
    "SpareUpdate": SpareUnit,
    "SpareScrap": Movement,
    "StocktakeCreate": Stocktake,
    "StocktakeLine": SpareUnit,
    "ReservationCreate": Reservation,
    "ReplacementCreate": Replacement,
    "ReplacementUpdate": Replacement,
    "FaultRecord": Replacement,
    "RepairCreate": RepairOrder,
    "RepairReceive": RepairOrder,
    "LoanCreate": Loan,
}
RENAMED = {"reason": "reference"}  # a scrap's reason is its ledger row's reference
CODE_FIELDS = {"site_code", "customer_code", "warehouse_code", "part_number"}


def _request_models() -> list[type[RequestModel]]:
    found: list[type[RequestModel]] = []
    todo = list(RequestModel.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__name__)


def _max_length(schema: dict[str, Any]) -> int | None:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    for option in schema.get("anyOf", []):
        if option.get("type") == "string":
            return int(option["maxLength"]) if "maxLength" in option else None
    return None


def _is_text(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") == "string"
        and "enum" not in schema
        and "format" not in schema
        or any(o.get("type") == "string" and "format" not in o for o in schema.get("anyOf", []))
    )


def test_every_request_text_has_the_length_of_its_column() -> None:
    """A new request schema, or a text field wider than its column, fails here."""
    mismatches = []
    for cls in _request_models():
        assert cls.__name__ in TABLE_OF, f"{cls.__name__}: name the table its fields land in"
        table = TABLE_OF[cls.__name__].__table__  # type: ignore[attr-defined]
        properties = cls.model_json_schema()["properties"]
        for name, schema in properties.items():
            if not _is_text(schema):
                continue
            limit = _max_length(schema)
            column_name = RENAMED.get(name, name) if cls.__name__ == "SpareScrap" else name
            if column_name in CODE_FIELDS:
                expected: int | None = bounds.CODE
            elif column_name == "reference":
                expected = DeviceHistory.__table__.c.reference.type.length  # type: ignore[attr-defined]
                assert expected == Movement.__table__.c.reference.type.length  # type: ignore[attr-defined]
            elif column_name in table.c and isinstance(table.c[column_name].type, String):
                expected = table.c[column_name].type.length
            else:
                expected = None
            if limit is None or (expected is not None and limit != expected):
                mismatches.append(f"{cls.__name__}.{name}: maxLength {limit}, column {expected}")
    assert mismatches == []


def test_every_id_field_of_a_request_is_bounded_to_64_bits() -> None:
    for cls in _request_models():
        for name, schema in cls.model_json_schema()["properties"].items():
            if not name.endswith("_id"):
                continue
            options = schema.get("anyOf", [schema])
            integer = next(o for o in options if o.get("type") == "integer")
            assert (integer.get("minimum"), integer.get("maximum")) == (1, bounds.MAX_ID), (
                f"{cls.__name__}.{name}"
            )


def test_every_id_in_a_path_is_bounded_like_a_row_id() -> None:
    """Every `{..._id}` path parameter of every operation is 1 .. MAX_ID (`PathId`): an id no
    row can have is 404 before any query (a bare `int` sent 2^63 to PostgreSQL)."""
    from api.app import create_app

    unbounded = []
    for path, item in create_app().openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path" or not parameter["name"].endswith("_id"):
                    continue
                schema = parameter["schema"]
                if (schema.get("minimum"), schema.get("maximum")) != (1, bounds.MAX_ID):
                    unbounded.append(f"{method.upper()} {path}: {parameter['name']}")
    assert unbounded == []


def test_every_cursor_is_bounded_and_a_long_one_is_422() -> None:
    """Every `cursor` query parameter is the shared `Cursor`: at most 8 characters of the
    cursor pattern, declared in the schema (the edits' cursor was a bare string)."""
    from api.app import create_app

    app = create_app()
    unbounded = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query" or parameter["name"] != "cursor":
                    continue
                schema = next(
                    (s for s in parameter["schema"].get("anyOf", []) if s.get("type") == "string"),
                    parameter["schema"],
                )
                if schema.get("maxLength") != 8 or "pattern" not in schema:
                    unbounded.append(f"{method.upper()} {path}")
    assert unbounded == []


def test_a_cursor_over_its_length_is_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    answer = client.get(
        "/api/v1/replacements/1/edits", params={"cursor": "a" * 10_000}, headers=admin
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "cursor"
