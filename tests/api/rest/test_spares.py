"""Spares over HTTP: receiving, verify, transfer, scrap, list/summary/movements, export,
stocktakes, roles and the customer's scope."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from inventory_service.platform.db import Database
from models import Movement, SpareUnit, Stocktake
from tests import factories
from tests.conftest import TokenFactory

API = "/api/v1"
GOOD = {"supplier": "Dell China", "channel": "原厂授权渠道", "document": "PO-2026-0001"}


def body(serial: str, **overrides: Any) -> dict[str, Any]:
    return {
        "part_number": "PSU-750W",
        "serial": serial,
        "warehouse_code": "WH-SY",
        "genuine": True,
        "provenance": GOOD,
        "condition": "new",
    } | overrides


def counts(db: Database) -> tuple[int, int]:
    with db.transaction(write=False) as session:
        units = session.exec(select(func.count()).select_from(SpareUnit)).one()
        rows = session.exec(select(func.count()).select_from(Movement)).one()
    return units, rows


@pytest.fixture
def depot(db: Database) -> Database:
    """Two warehouses, three PSUs (750 W, its 1100 W substitute, a lower 500 W) and an HDD."""
    with db.transaction() as session:
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-500W", specs={"watts": 500, "input": "AC"})
        factories.part(session, "HDD-1T", category="server_hdd", specs={"tb": 1})
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL", lat=38.914, lon=121.6147, kind="depot")
    return db


@pytest.fixture
def wh(headers_for: TokenFactory) -> dict[str, str]:
    return headers_for("warehouse", name="库管-王")


def receive(client: TestClient, headers: dict[str, str], serial: str, **kw: Any) -> dict[str, Any]:
    answer = client.post(f"{API}/spares", json=body(serial, **kw), headers=headers)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_receiving_answers_the_unit_as_get_returns_it(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    unit = receive(client, wh, "SN-1", condition="refurbished")
    assert client.get(f"{API}/spares/{unit['id']}", headers=wh).json() == unit
    assert unit["part_number"] == "PSU-750W"
    assert (unit["warehouse_code"], unit["status"], unit["condition"]) == (
        "WH-SY",
        "available",
        "refurbished",
    )
    assert unit["provenance"] == GOOD
    moves = client.get(f"{API}/spares/{unit['id']}/movements", headers=wh).json()["items"]
    assert [(m["action"], m["to_status"], m["to_warehouse_code"]) for m in moves] == [
        ("received", "available", "WH-SY")
    ]
    assert moves[0]["actor"] == "库管-王"


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"part_number": "NOPE"}, 422, "validation_error", "part_number"),
        ({"warehouse_code": "WH-XX"}, 422, "validation_error", "warehouse_code"),
        ({"serial": "SN-1"}, 409, "duplicate_serial", "serial"),
        ({"genuine": "true"}, 422, "validation_error", "genuine"),
        ({"serial": 12345}, 422, "validation_error", "serial"),
        ({"condition": "used"}, 422, "validation_error", "condition"),
        ({"provenance": {"supplier": 1}}, 422, "validation_error", "provenance.supplier"),
        ({"status": "available"}, 422, "validation_error", "status"),
    ],
)
def test_bad_receipts_write_nothing(
    client: TestClient,
    depot: Database,
    wh: dict[str, str],
    overrides: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    receive(client, wh, "SN-1")
    before = counts(depot)
    answer = client.post(f"{API}/spares", json=body("SN-2") | overrides, headers=wh)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert field in [d["field"] for d in answer.json()["error"]["details"]]
    assert counts(depot) == before


def test_the_same_serial_under_another_part_number_is_a_different_unit(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    receive(client, wh, "SN-1")
    assert receive(client, wh, "SN-1", part_number="PSU-1100W")["part_number"] == "PSU-1100W"


@pytest.mark.parametrize("role", ["engineer", "dispatcher", "reporter", "customer"])
def test_only_the_warehouse_and_admin_write_spares(
    client: TestClient, depot: Database, headers_for: TokenFactory, wh: dict[str, str], role: str
) -> None:
    with depot.transaction() as session:
        factories.customer(session, "LNA")
    headers = headers_for(role, customer="LNA" if role == "customer" else None)
    unit = receive(client, wh, "SN-1")
    before = counts(depot)
    for path, payload in (
        ("/spares", body("SN-9")),
        (f"/spares/{unit['id']}/transfer", {"warehouse_code": "WH-DL"}),
        (f"/spares/{unit['id']}/scrap", {}),
        (f"/spares/{unit['id']}/verify", {}),
        ("/warehouses/WH-SY/stocktakes", {"counted": []}),
    ):
        answer = client.post(API + path, json=payload, headers=headers)
        assert answer.status_code == 403, (path, answer.text)
    assert counts(depot) == before
    admin = headers_for("admin")
    assert client.post(f"{API}/spares", json=body("SN-9"), headers=admin).status_code == 201


def test_verify_completes_provenance_and_releases_the_unit(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    unit = receive(client, wh, "Q-1", provenance={"supplier": "Dell China", "channel": "原厂"})
    assert unit["status"] == "quarantined"
    url = f"{API}/spares/{unit['id']}/verify"
    before = counts(depot)
    still = client.post(url, json={}, headers=wh)
    assert still.status_code == 422
    assert [d["field"] for d in still.json()["error"]["details"]] == ["document"]
    rewrite = client.post(url, json={"supplier": "Other", "document": "PO-9"}, headers=wh)
    assert rewrite.status_code == 422
    assert [d["field"] for d in rewrite.json()["error"]["details"]] == ["supplier"]
    assert counts(depot) == before
    done = client.post(url, json={"document": "PO-2026-0042"}, headers=wh)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "available"
    assert done.json()["provenance"]["document"] == "PO-2026-0042"
    assert done.json()["genuine"] is True
    again = client.post(url, json={}, headers=wh)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    assert "available" in again.json()["error"]["message"]
    moves = client.get(f"{API}/spares/{unit['id']}/movements", headers=wh).json()["items"]
    assert [(m["action"], m["from_status"], m["to_status"]) for m in moves] == [
        ("received", None, "quarantined"),
        ("verified", "quarantined", "available"),
    ]


def test_a_non_genuine_unit_can_never_be_verified_into_a_genuine_one(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    fake = receive(client, wh, "F-1", genuine=False, provenance={})
    url = f"{API}/spares/{fake['id']}/verify"
    assert client.post(url, json={"genuine": True}, headers=wh).status_code == 422
    refused = client.post(url, json=GOOD, headers=wh)
    assert refused.status_code == 409
    assert client.get(f"{API}/spares/{fake['id']}", headers=wh).json()["genuine"] is False


def test_transfer_moves_only_available_units(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    unit = receive(client, wh, "T-1")
    url = f"{API}/spares/{unit['id']}/transfer"
    before = counts(depot)
    unknown = client.post(url, json={"warehouse_code": "WH-XX"}, headers=wh)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "warehouse_code"
    same = client.post(url, json={"warehouse_code": "WH-SY"}, headers=wh)
    assert same.status_code == 422
    assert counts(depot) == before
    moved = client.post(url, json={"warehouse_code": "WH-DL"}, headers=wh)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["warehouse_code"], moved.json()["status"]) == ("WH-DL", "available")
    last = client.get(f"{API}/spares/{unit['id']}/movements", headers=wh).json()["items"][-1]
    assert (last["action"], last["from_warehouse_code"], last["to_warehouse_code"]) == (
        "transferred",
        "WH-SY",
        "WH-DL",
    )
    quarantined = receive(client, wh, "T-2", provenance={})
    refused = client.post(
        f"{API}/spares/{quarantined['id']}/transfer", json={"warehouse_code": "WH-DL"}, headers=wh
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "illegal_transition"
    assert "quarantined" in refused.json()["error"]["message"]
    missing = client.post(
        f"{API}/spares/999999/transfer", json={"warehouse_code": "WH-DL"}, headers=wh
    )
    assert missing.status_code == 404


def test_scrap_follows_the_state_machine(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    unit = receive(client, wh, "X-1")
    url = f"{API}/spares/{unit['id']}/scrap"
    scrapped = client.post(url, json={"reason": "water damage"}, headers=wh)
    assert scrapped.status_code == 200, scrapped.text
    assert scrapped.json()["status"] == "scrapped"
    again = client.post(url, headers=wh)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    last = client.get(f"{API}/spares/{unit['id']}/movements", headers=wh).json()["items"][-1]
    assert (last["action"], last["reference"]) == ("scrapped", "water damage")
    with depot.transaction() as session:
        faulty = factories.faulty_unit(session, "BAD-1")
    without_body = client.post(f"{API}/spares/{faulty.id}/scrap", headers=wh)
    assert without_body.status_code == 200


def test_list_filters_and_pages(client: TestClient, depot: Database, wh: dict[str, str]) -> None:
    a = receive(client, wh, "L-1")
    b = receive(client, wh, "L-2", warehouse_code="WH-DL", condition="refurbished")
    c = receive(client, wh, "L-3", genuine=False, provenance={}, part_number="PSU-1100W")
    d = receive(client, wh, "L-4", provenance={})

    def ids(**params: Any) -> list[int]:
        answer = client.get(f"{API}/spares", params=params, headers=wh)
        assert answer.status_code == 200, answer.text
        return [u["id"] for u in answer.json()["items"]]

    assert ids() == [a["id"], b["id"], c["id"], d["id"]]
    assert ids(part_number="PSU-750W") == [a["id"], b["id"], d["id"]]
    assert ids(warehouse_code="WH-DL") == [b["id"]]
    assert ids(status="quarantined") == [d["id"]]
    assert ids(genuine="false") == [c["id"]]
    assert ids(condition="refurbished") == [b["id"]]
    assert ids(serial="L-3") == [c["id"]]
    assert client.get(f"{API}/spares", params={"status": "lost"}, headers=wh).status_code == 422
    first = client.get(f"{API}/spares", params={"limit": 3}, headers=wh).json()
    assert [u["id"] for u in first["items"]] == [a["id"], b["id"], c["id"]]
    rest = client.get(
        f"{API}/spares", params={"limit": 3, "cursor": first["next_cursor"]}, headers=wh
    ).json()
    assert ([u["id"] for u in rest["items"]], rest["next_cursor"]) == ([d["id"]], None)
    assert client.get(f"{API}/spares/999999", headers=wh).status_code == 404


def test_summary_counts_part_by_warehouse_by_status(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    for serial in ("S-1", "S-2"):
        receive(client, wh, serial)
    receive(client, wh, "S-3", provenance={})
    receive(client, wh, "S-4", warehouse_code="WH-DL")
    receive(client, wh, "S-5", part_number="HDD-1T")
    answer = client.get(f"{API}/spares/summary", headers=wh).json()
    assert answer["items"] == [
        {"part_number": "HDD-1T", "warehouse_code": "WH-SY", "status": "available", "count": 1},
        {"part_number": "PSU-750W", "warehouse_code": "WH-DL", "status": "available", "count": 1},
        {"part_number": "PSU-750W", "warehouse_code": "WH-SY", "status": "available", "count": 2},
        {"part_number": "PSU-750W", "warehouse_code": "WH-SY", "status": "quarantined", "count": 1},
    ]
    assert answer["total"] == 5
    only = client.get(f"{API}/spares/summary", params={"warehouse_code": "WH-DL"}, headers=wh)
    assert only.json()["total"] == 1


@pytest.fixture
def two_customers(depot: Database) -> Database:
    """LNA runs a PSU-750W; LNB runs an HDD-1T."""
    with depot.transaction() as session:
        factories.customer(session, "LNA", "辽宁甲")
        factories.customer(session, "LNB", "辽宁乙")
        factories.site(session, "SY-A", customer_code="LNA")
        factories.site(session, "SY-B", customer_code="LNB")
        factories.installed_part(session, site_code="SY-A", part_number="PSU-750W", serial="C1")
        factories.installed_part(session, site_code="SY-B", part_number="HDD-1T", serial="C2")
    return depot


def test_a_customer_sees_only_spares_for_its_own_devices_and_their_substitutes(
    client: TestClient, two_customers: Database, headers_for: TokenFactory, wh: dict[str, str]
) -> None:
    own = receive(client, wh, "P750")
    better = receive(client, wh, "P1100", part_number="PSU-1100W")
    lower = receive(client, wh, "P500", part_number="PSU-500W")
    foreign = receive(client, wh, "HDD", part_number="HDD-1T")
    client.post(f"{API}/spares/{own['id']}/transfer", json={"warehouse_code": "WH-DL"}, headers=wh)
    lna = headers_for("customer", customer="LNA")
    listed = client.get(f"{API}/spares", headers=lna).json()["items"]
    assert [u["id"] for u in listed] == [own["id"], better["id"]]
    for hidden in (lower, foreign):
        assert client.get(f"{API}/spares/{hidden['id']}", headers=lna).status_code == 404
        gone = client.get(f"{API}/spares/{hidden['id']}/movements", headers=lna)
        assert gone.status_code == 404
    assert client.get(f"{API}/spares", params={"part_number": "HDD-1T"}, headers=lna).json() == {
        "items": [],
        "next_cursor": None,
    }
    summary = client.get(f"{API}/spares/summary", headers=lna).json()
    assert {r["part_number"] for r in summary["items"]} == {"PSU-750W", "PSU-1100W"}
    moves = client.get(f"{API}/spares/{own['id']}/movements", headers=lna).json()["items"]
    assert [m["action"] for m in moves] == ["received", "transferred"]
    assert {m["actor"] for m in moves} == {"contractor"}
    assert "库管-王" not in str(moves)
    exported = client.get(f"{API}/spares/export", params={"format": "csv"}, headers=lna)
    assert exported.status_code == 200
    assert "P750" in exported.text
    assert "P1100" in exported.text
    assert "P500" not in exported.text
    assert "HDD" not in exported.text
    lnb = headers_for("customer", customer="LNB")
    assert [u["id"] for u in client.get(f"{API}/spares", headers=lnb).json()["items"]] == [
        foreign["id"]
    ]


def test_a_customer_without_devices_sees_no_spares(
    client: TestClient, depot: Database, headers_for: TokenFactory, wh: dict[str, str]
) -> None:
    with depot.transaction() as session:
        factories.customer(session, "LNC")
    unit = receive(client, wh, "Z-1")
    lnc = headers_for("customer", customer="LNC")
    assert client.get(f"{API}/spares", headers=lnc).json()["items"] == []
    assert client.get(f"{API}/spares/summary", headers=lnc).json() == {"items": [], "total": 0}
    assert client.get(f"{API}/spares/{unit['id']}", headers=lnc).status_code == 404
    assert client.get(f"{API}/warehouses/WH-SY/stocktakes", headers=lnc).status_code == 403


def test_export_csv_has_a_bom_and_chinese_headings(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    receive(client, wh, "E-1")
    receive(client, wh, "E-2", genuine=False, provenance={}, condition="refurbished")
    gone = receive(client, wh, "E-3")
    client.post(f"{API}/spares/{gone['id']}/scrap", headers=wh)
    answer = client.get(f"{API}/spares/export", params={"format": "csv", "lang": "zh"}, headers=wh)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["备件型号", "备件名称"]
    assert "序列号" in rows[0]
    by_serial = {r[rows[0].index("序列号")]: r for r in rows[1:]}
    assert set(by_serial) == {"E-1", "E-2"}  # a scrapped unit is not held any more
    assert by_serial["E-2"][rows[0].index("原厂正品")] == "否"
    assert by_serial["E-2"][rows[0].index("成色")] == "翻新"
    assert by_serial["E-1"][rows[0].index("状态")] == "可用"
    english = client.get(f"{API}/spares/export", headers=wh)
    assert english.content.decode("utf-8-sig").startswith("Part number,Part name")
    scrapped = client.get(f"{API}/spares/export", params={"status": "scrapped"}, headers=wh)
    assert "E-3" in scrapped.text
    assert (
        client.get(f"{API}/spares/export", params={"format": "pdf"}, headers=wh).status_code == 422
    )


def test_export_xlsx_has_a_frozen_filtered_header(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    receive(client, wh, "X-1")
    answer = client.get(f"{API}/spares/export", params={"format": "xlsx", "lang": "zh"}, headers=wh)
    assert answer.status_code == 200
    assert "spreadsheetml" in answer.headers["content-type"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "备品备件清单"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O2"
    assert sheet["A1"].value == "备件型号"
    assert sheet["E2"].value == "X-1"
    assert (sheet.column_dimensions["B"].width or 0) >= 8


def test_stocktake_reports_missing_unexpected_and_misplaced_and_changes_nothing(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    here = receive(client, wh, "K-1")
    lost = receive(client, wh, "K-2")
    receive(client, wh, "K-3", warehouse_code="WH-DL")
    gone = receive(client, wh, "K-4")
    client.post(f"{API}/spares/{gone['id']}/scrap", headers=wh)
    before = counts(depot)
    with depot.transaction(write=False) as session:
        units_before = [u.model_dump() for u in session.exec(select(SpareUnit)).all()]
    counted = [
        {"serial": "K-1"},
        {"serial": "K-1"},
        {"part_number": "PSU-750W", "serial": "K-3"},
        {"serial": "K-4"},
        {"serial": "NEVER-SEEN"},
        {"part_number": "HDD-1T", "serial": "K-1"},
    ]
    answer = client.post(
        f"{API}/warehouses/WH-SY/stocktakes",
        json={"counted": counted, "note": "月度盘点"},
        headers=wh,
    )
    assert answer.status_code == 201, answer.text
    report = answer.json()
    result = report["result"]
    assert (report["warehouse_code"], report["note"]) == ("WH-SY", "月度盘点")
    assert (result["counted"], result["matched"], result["duplicates"]) == (5, 1, ["K-1"])
    assert [(m["spare_id"], m["serial"]) for m in result["missing"]] == [(lost["id"], "K-2")]
    assert [(u["part_number"], u["serial"]) for u in result["unexpected"]] == [
        (None, "NEVER-SEEN"),
        ("HDD-1T", "K-1"),
    ]
    misplaced = {m["serial"]: m for m in result["misplaced"]}
    assert misplaced["K-3"]["booked_warehouse_code"] == "WH-DL"
    assert misplaced["K-4"]["status"] == "scrapped"
    assert here["id"] not in [m["spare_id"] for m in result["missing"]]
    assert counts(depot) == before
    with depot.transaction(write=False) as session:
        assert [u.model_dump() for u in session.exec(select(SpareUnit)).all()] == units_before
        assert session.exec(select(func.count()).select_from(Stocktake)).one() == 1
    stored = client.get(f"{API}/warehouses/WH-SY/stocktakes/{report['id']}", headers=wh)
    assert stored.json() == report
    listed = client.get(f"{API}/warehouses/WH-SY/stocktakes", headers=wh).json()
    assert [s["id"] for s in listed["items"]] == [report["id"]]
    assert client.get(f"{API}/warehouses/WH-DL/stocktakes", headers=wh).json()["items"] == []
    other = client.get(f"{API}/warehouses/WH-DL/stocktakes/{report['id']}", headers=wh)
    assert other.status_code == 404


def test_stocktake_refusals(client: TestClient, depot: Database, wh: dict[str, str]) -> None:
    unknown = client.post(f"{API}/warehouses/WH-XX/stocktakes", json={"counted": []}, headers=wh)
    assert unknown.status_code == 404
    bad = client.post(
        f"{API}/warehouses/WH-SY/stocktakes", json={"counted": [{"serial": 7}]}, headers=wh
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "counted.0.serial"
    with depot.transaction(write=False) as session:
        assert session.exec(select(func.count()).select_from(Stocktake)).one() == 0


def test_receiving_retried_with_the_same_key_answers_the_first_unit(
    client: TestClient, depot: Database, wh: dict[str, str]
) -> None:
    headers = wh | {"Idempotency-Key": "recv-1"}
    first = client.post(f"{API}/spares", json=body("I-1"), headers=headers)
    again = client.post(f"{API}/spares", json=body("I-1"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert counts(depot) == (1, 1)


def test_a_customers_spares_scope_holds_another_vendors_part_only_as_an_alternate(
    client: TestClient,
    two_customers: Database,
    headers_for: TokenFactory,
    wh: dict[str, str],
    admin: dict[str, str],
) -> None:
    with two_customers.transaction() as session:
        factories.part(session, "HPE-1600W", vendor="HPE", specs={"watts": 1600, "input": "AC"})
    hpe = receive(client, wh, "HPE-1", part_number="HPE-1600W")
    lna = headers_for("customer", customer="LNA")
    assert client.get(f"{API}/spares/{hpe['id']}", headers=lna).status_code == 404
    approval = {"part_number": "HPE-1600W", "document": "Dell notice 2026-17"}
    added = client.post(f"{API}/parts/PSU-750W/alternates", json=approval, headers=admin)
    assert added.status_code == 201, added.text
    assert client.get(f"{API}/spares/{hpe['id']}", headers=lna).json()["serial"] == "HPE-1"
    lnb = headers_for("customer", customer="LNB")  # one way, and only for PSU-750W's owners
    assert client.get(f"{API}/spares/{hpe['id']}", headers=lnb).status_code == 404
