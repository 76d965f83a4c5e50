"""`inventory-service report replacements` against a real database (both backends)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from inventory_service.cli import app
from inventory_service.platform.db import Database, set_database
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from tests.inventory_service.test_reports import seed


@pytest.fixture
def cli(committed_db: Database) -> Iterator[CliRunner]:
    """A runner whose commands use the committed test database, seeded with October 2026."""
    with committed_db.transaction() as session:
        seed(session)
    old_settings = replace_settings(
        Settings(**(get_settings().model_dump() | {"database_url": committed_db.url}))
    )
    old_db = set_database(committed_db)
    yield CliRunner()
    set_database(old_db)
    replace_settings(old_settings)


def test_xlsx_goes_to_the_file(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "october.xlsx"
    args = ["report", "replacements", "--month", "2026-10", "--format", "xlsx", "-o", str(target)]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "10 replacement(s) written" in result.stderr
    book = openpyxl.load_workbook(target)
    assert book["Replacements"].max_row == 11
    assert len(book["Charts"]._charts) == 5


def test_csv_for_one_customer_goes_to_stdout(cli: CliRunner) -> None:
    args = ["report", "replacements", "--month", "2026-10", "--format", "csv"]
    result = cli.invoke(app, [*args, "--lang", "zh", "--customer", "LNDL"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert rows[0][0] == "更换日期"
    assert [r[6] for r in rows[1:]] == ["OLD-R03", "OLD-R05", "OLD-R08"]


def test_json_for_a_range(cli: CliRunner) -> None:
    args = ["report", "replacements", "--from", "2026-10-31", "--to", "2026-11-01"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["month"] is None
    assert body["period"]["from"] == "2026-10-31"
    assert [r["removed_serial"] for r in body["rows"]] == ["OLD-R10", "OLD-X2"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--month", "2026-13"], "month"),
        (["--month", "2026-10", "--quarter", "2026-Q4"], "quarter"),
        (["--month", "2026-10", "--format", "pdf"], "pdf"),
    ],
)
def test_bad_options_exit_2_with_a_reason(cli: CliRunner, args: list[str], named: str) -> None:
    result = cli.invoke(app, ["report", "replacements", *args])
    assert result.exit_code == 2
    assert named in result.stderr
    assert "Traceback" not in result.output
