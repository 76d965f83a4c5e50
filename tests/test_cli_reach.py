"""`inventory-service reach` and `coverage` against a real database (both backends)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from inventory_service.cli import app
from inventory_service.platform.db import Database, set_database
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from tests import factories


@pytest.fixture
def cli(committed_db: Database) -> Iterator[CliRunner]:
    old_settings = replace_settings(
        Settings(**(get_settings().model_dump() | {"database_url": committed_db.url}))
    )
    old_db = set_database(committed_db)
    with committed_db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SHE-01")
        factories.site(session, "DAL-01", lat=38.9140, lon=121.6147, city="Dalian")
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY")
        factories.spare(session, "GOOD")
        factories.installed_part(session, site_code="SHE-01", part_number="PSU-750W", serial="C1")
        factories.installed_part(session, site_code="DAL-01", part_number="PSU-750W", serial="C2")
    yield CliRunner()
    set_database(old_db)
    replace_settings(old_settings)


def test_reach_prints_the_verdict_and_the_json_answer(cli: CliRunner) -> None:
    table = cli.invoke(app, ["reach", "DAL-01", "PSU-750W"])
    assert table.exit_code == 0, table.output
    assert "NOT REACHABLE" in table.stdout
    assert "too_far\t356.2\t300" in table.stdout
    raw = cli.invoke(app, ["reach", "SHE-01", "PSU-750W", "--deadline", "60", "--json"])
    answer = json.loads(raw.stdout)
    assert (answer["reachable"], answer["deadline_minutes"], answer["best"]["serial"]) == (
        True,
        60,
        "GOOD",
    )


def test_reach_refuses_a_bad_deadline_in_one_line(cli: CliRunner) -> None:
    result = cli.invoke(app, ["reach", "SHE-01", "PSU-750W", "--deadline", "0"])
    assert result.exit_code == 2
    assert "deadline_minutes" in result.stderr


def test_coverage_prints_the_plan_and_csv(cli: CliRunner) -> None:
    report = cli.invoke(app, ["coverage"])
    assert report.exit_code == 0, report.output
    assert "1/2 site x part pairs (50.0%)" in report.stdout
    assert "WH-SY" not in report.stdout.split("stocking plan")[1]  # the hub cannot reach Dalian
    assert "uncoverable: DAL-01\tPSU-750W" in report.stdout
    assert "coverage" in report.stderr
    assert "100% 2/2" in report.stderr  # the progress bar, on stderr
    rows = list(csv.DictReader(io.StringIO(cli.invoke(app, ["coverage", "--csv"]).stdout)))
    assert [(r["site_code"], r["reachable"], r["best_eta_minutes"]) for r in rows] == [
        ("DAL-01", "False", ""),
        ("SHE-01", "True", "30"),
    ]


@pytest.fixture
def demo(committed_db: Database) -> Iterator[CliRunner]:
    """The Liaoning demo, loaded by `inventory-service seed`."""
    old_settings = replace_settings(
        Settings(**(get_settings().model_dump() | {"database_url": committed_db.url}))
    )
    old_db = set_database(committed_db)
    runner = CliRunner()
    seeded = runner.invoke(app, ["seed"])
    assert seeded.exit_code == 0, seeded.output
    yield runner
    set_database(old_db)
    replace_settings(old_settings)


def test_the_demo_offers_no_other_vendors_optic_for_a_huawei_router(demo: CliRunner) -> None:
    raw = demo.invoke(app, ["reach", "LNXX-DL-CORE", "OSX010000", "--json", "--limit", "500"])
    assert raw.exit_code == 0, raw.output
    answer = json.loads(raw.stdout)
    approved = {"OSX010000", "RTXM228-551", "LTF8502-BC+"}  # Huawei's and its approved optics
    offered = {c["part_number"] for c in answer["candidates"]}
    assert offered <= approved
    assert {"OSX010000", "RTXM228-551"} <= offered
    why = {r["part_number"]: r["reason"] for r in answer["rejected"] if r["reason"] != "too_far"}
    for cisco in ("SFP-10G-LR", "SFP-10G-ER", "FTLX1471D3BCL"):
        assert why[cisco] == "other_vendor"
    assert answer["rejected_counts"]["other_vendor"] > 0
    assert set(answer["rejected_counts"]) == {
        "not_genuine",
        "not_available",
        "other_vendor",
        "spec_lower",
        "not_covered",
        "too_far",
    }
    table = demo.invoke(app, ["reach", "LNXX-DL-CORE", "OSX010000"])
    assert "SFP-10G-LR\tWH-DL\tother_vendor" in table.stdout
