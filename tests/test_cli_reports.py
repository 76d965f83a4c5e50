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
from tests.inventory_service.reporting.test_reports import seed


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


def test_failures_prints_the_highest_annualised_rates(cli: CliRunner) -> None:
    # Q4: PSU-750W 6 of 6 installed, HDD-1T 3 of 3, FAN-01 2 of 3 (one more in September).
    result = cli.invoke(app, ["report", "failures", "--quarter", "2026-Q4"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["#", "part", "number", "name", "replaced", "installed"] + [
        "rate/yr",
        "previous",
    ]
    assert [line.split()[1] for line in lines[1:]] == ["PSU-750W", "HDD-1T", "FAN-01"]
    psu, fan = lines[1].split(), lines[3].split()
    assert psu[-4:] == ["6", "6", f"{365.25 / 92:.3f}", "—"]
    assert fan[-4:] == ["2", "3", f"{2 / 3 * 365.25 / 92:.3f}", f"{1 / 3 * 365.25 / 92:.3f}"]
    top = cli.invoke(app, ["report", "failures", "--quarter", "2026-Q4", "--top", "1"])
    assert len(top.stdout.splitlines()) == 2
    mine = cli.invoke(app, ["report", "failures", "--quarter", "2026-Q4", "--customer", "LNDL"])
    assert [line.split()[1] for line in mine.stdout.splitlines()[1:]] == ["HDD-1T"]


def test_failures_refuses_a_bad_quarter_and_says_when_there_is_nothing(cli: CliRunner) -> None:
    bad = cli.invoke(app, ["report", "failures", "--quarter", "2026-Q5"])
    assert bad.exit_code == 2
    assert "quarter" in bad.stderr
    empty = cli.invoke(app, ["report", "failures", "--quarter", "2025-Q1"])
    assert empty.exit_code == 0
    assert "no replacements in 2025-Q1" in empty.stderr
