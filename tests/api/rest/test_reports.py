"""GET /reports/replacements: JSON as the contract says, CSV and XLSX files, roles, scope, 422s."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import openpyxl
import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests.conftest import TokenFactory
from tests.inventory_service.reporting.test_reports import SHANGHAI, seed

URL = "/api/v1/reports/replacements"
CONTRACT_COLUMNS = [
    "date",
    "customer",
    "site",
    "device_serial",
    "part_number",
    "part_name",
    "removed_serial",
    "installed_serial",
    "reason",
    "fault_level",
    "fault_impact",
    "duration_minutes",
    "within_deadline",
    "engineer",
]
CLOCK_COLUMNS = [
    "arrival_minutes",
    "response_limit_minutes",
    "arrived_within_response",
    "spare_on_site_within_deadline",
]
ZH_HEADINGS = [
    "更换日期",
    "客户",
    "站点",
    "设备序列号",
    "备件编号",
    "备件名称",
    "拆下序列号",
    "换上序列号",
    "更换原因",
    "故障级别",
    "故障影响",
    "更换时长(分钟)",
    "是否在时限内",
    "工程师",
    "到场时长(分钟)",
    "响应时限(分钟)",
    "是否按时到场",
    "备件是否按时到场",
]
CONTRACT_SUMMARY = {
    "count",
    "by_part",
    "by_site",
    "by_fault_level",
    "median_duration_minutes",
    "p90_duration_minutes",
    "share_within_deadline",
}


@pytest.fixture
def seeded(db: Database) -> Database:
    with db.transaction() as session:
        seed(session)
    return db


@pytest.fixture
def reporter(headers_for: TokenFactory) -> dict[str, str]:
    return headers_for("reporter", name="月报")


def test_json_follows_the_contract(
    client: TestClient, seeded: Database, reporter: dict[str, str]
) -> None:
    answer = client.get(URL, params={"month": "2026-10"}, headers=reporter)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["month"] == "2026-10"
    assert body["period"] == {
        "from": "2026-10-01",
        "to": "2026-10-31",
        "time_zone": "Asia/Shanghai",
    }
    assert len(body["rows"]) == 10
    first = body["rows"][0]
    assert list(first)[:14] == CONTRACT_COLUMNS
    assert first["date"] == "2026-10-01"
    assert (first["customer"], first["site"], first["device_serial"]) == (
        "LNXX",
        "SY-01",
        "DEV-R01",
    )
    assert (first["part_number"], first["part_name"]) == ("PSU-750W", "PSU-750W 模块")
    assert (first["removed_serial"], first["installed_serial"]) == ("OLD-R01", "NEW-R01")
    assert (first["duration_minutes"], first["within_deadline"]) == (30, True)
    assert datetime.fromisoformat(first["replaced_at"]).utcoffset() is not None
    summary = body["summary"]
    assert CONTRACT_SUMMARY <= set(summary)
    assert summary["count"] == 10
    assert summary["by_part"] == {"PSU-750W": 6, "HDD-1T": 3, "FAN-01": 1}
    assert (summary["median_duration_minutes"], summary["p90_duration_minutes"]) == (150, 330)
    assert summary["share_within_deadline"] == pytest.approx(0.7)


def test_quarter_and_range_have_a_null_month(
    client: TestClient, seeded: Database, reporter: dict[str, str]
) -> None:
    q4 = client.get(URL, params={"quarter": "2026-Q4"}, headers=reporter).json()
    assert (q4["month"], q4["quarter"], q4["summary"]["count"]) == (None, "2026-Q4", 11)
    assert (q4["period"]["from"], q4["period"]["to"]) == ("2026-10-01", "2026-12-31")
    edge = client.get(URL, params={"from": "2026-10-31", "to": "2026-11-01"}, headers=reporter)
    assert edge.status_code == 200
    assert [r["removed_serial"] for r in edge.json()["rows"]] == ["OLD-R10", "OLD-X2"]
    assert [r["date"] for r in edge.json()["rows"]] == ["2026-10-31", "2026-11-01"]


def test_csv_has_a_bom_the_chinese_headings_and_a_file_name(
    client: TestClient, seeded: Database, reporter: dict[str, str]
) -> None:
    answer = client.get(
        URL, params={"month": "2026-10", "format": "csv", "lang": "zh"}, headers=reporter
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="replacements-2026-10-zh.csv"'
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ZH_HEADINGS
    assert len(rows) == 11
    assert rows[-1][:3] == ["2026-10-31", "LNXX", "SY-01"]
    assert rows[-1][11:13] == ["600", "否"]


def test_english_csv_heads_are_the_json_fields(
    client: TestClient, seeded: Database, reporter: dict[str, str]
) -> None:
    answer = client.get(URL, params={"month": "2026-10", "format": "csv"}, headers=reporter)
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == CONTRACT_COLUMNS + CLOCK_COLUMNS
    assert rows[1][12] == "yes"


def test_xlsx_holds_the_records_the_summary_and_five_charts(
    client: TestClient, seeded: Database, reporter: dict[str, str]
) -> None:
    answer = client.get(
        URL, params={"month": "2026-10", "format": "xlsx", "lang": "zh"}, headers=reporter
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "replacements-2026-10-zh.xlsx" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["更换记录", "汇总", "图表"]
    records = book["更换记录"]
    assert [c.value for c in records[1]] == ZH_HEADINGS
    assert records.max_row == 11
    assert records.freeze_panes == "A2"
    assert records.auto_filter.ref == "A1:R11"
    first_day = records["A2"].value
    assert isinstance(first_day, datetime)
    assert first_day.date().isoformat() == "2026-10-01"
    assert records["A2"].number_format == "yyyy-mm-dd"
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True) if row[0]}
    assert summary["更换次数"] == 10
    assert summary["更换时长中位数(分钟)"] == 150
    assert summary["时限内占比"] == pytest.approx(0.7)
    charts = book["图表"]._charts
    assert len(charts) == 5
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        parts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = " ".join(archive.read(n).decode() for n in parts)
    assert parts == [f"xl/charts/chart{i}.xml" for i in range(1, 6)]
    assert "<c:barChart>" in xml
    assert "<c:lineChart>" in xml
    assert "≤240" in xml
    assert "到场时长对照响应时限" in xml
    assert "备件故障率(年化)" in xml


def test_an_empty_month_still_makes_a_workbook(
    client: TestClient, seeded: Database, reporter: dict[str, str]
) -> None:
    answer = client.get(URL, params={"month": "2026-07", "format": "xlsx"}, headers=reporter)
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book["Replacements"].max_row == 1
    assert book["Charts"]["A1"].value == "No replacements in this period."


def test_a_customer_sees_only_its_rows(
    client: TestClient, seeded: Database, headers_for: TokenFactory
) -> None:
    lndl = headers_for("customer", customer="LNDL")
    body = client.get(URL, params={"month": "2026-10"}, headers=lndl).json()
    assert [r["removed_serial"] for r in body["rows"]] == ["OLD-R03", "OLD-R05", "OLD-R08"]
    assert body["summary"]["count"] == 3
    assert body["summary"]["by_customer"] == {"LNDL": 3}
    exported = client.get(URL, params={"month": "2026-10", "format": "csv"}, headers=lndl)
    assert "LNXX" not in exported.content.decode("utf-8-sig")
    other = client.get(URL, params={"month": "2026-10", "customer_code": "LNXX"}, headers=lndl)
    assert other.status_code == 422
    assert other.json()["error"]["details"][0]["field"] == "customer_code"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-10", "quarter": "2026-Q4"}, "quarter"),
        ({"quarter": "Q4-2026"}, "quarter"),
        ({"from": "2026-10-01"}, "to"),
        ({"to": "2026-10-01"}, "from"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
        ({"month": "2026-10", "format": "pdf"}, "format"),
        ({"month": "2026-10", "lang": "fr"}, "lang"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, reporter: dict[str, str], params: dict[str, str], field: str
) -> None:
    answer = client.get(URL, params=params, headers=reporter)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == [field]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("reporter", 200),
        ("customer", 200),
        ("warehouse", 403),
        ("dispatcher", 403),
        ("engineer", 403),
    ],
)
def test_roles(
    client: TestClient, seeded: Database, headers_for: TokenFactory, role: str, status: int
) -> None:
    headers = headers_for(role, customer="LNXX" if role == "customer" else None)
    assert client.get(URL, params={"month": "2026-10"}, headers=headers).status_code == status


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(URL, params={"month": "2026-10"}).status_code == 401


def test_text_never_becomes_a_formula(
    client: TestClient, db: Database, reporter: dict[str, str]
) -> None:
    from tests import factories

    with db.transaction() as session:
        factories.replacement_row(
            session,
            "F1",
            replaced_at=datetime(2026, 10, 15, 4, 0, tzinfo=SHANGHAI),
            duration_minutes=30,
            arrival_minutes=20,
            reason='=HYPERLINK("http://x","y")',
            fault_impact="+1",
            engineer="@SUM(1)",
        )
    answer = client.get(URL, params={"month": "2026-10", "format": "csv"}, headers=reporter)
    row = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1]
    assert row[8] == '\'=HYPERLINK("http://x","y")'
    assert (row[10], row[13]) == ("'+1", "'@SUM(1)")
    assert row[14:18] == ["20", "30", "yes", "yes"]
    answer = client.get(URL, params={"month": "2026-10", "format": "xlsx"}, headers=reporter)
    records = openpyxl.load_workbook(io.BytesIO(answer.content))["Replacements"]
    reason, engineer = records.cell(2, 9), records.cell(2, 14)
    assert (reason.data_type, reason.value) == ("s", '=HYPERLINK("http://x","y")')
    assert (engineer.data_type, engineer.value) == ("s", "@SUM(1)")
    assert [records.cell(2, c).value for c in range(15, 19)] == [20, 30, "yes", "yes"]
