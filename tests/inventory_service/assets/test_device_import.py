"""Bulk device import: the whole file is checked first, every bad row reported, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from inventory_service.assets import device_import
from inventory_service.cli import app
from inventory_service.platform.db import Database, set_database
from inventory_service.platform.errors import ValidationFailed
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from models import Component, Device, DeviceHistory
from tests import factories

HEADER = ["site_code", "vendor", "model", "hostname", "serial", "patch_level", "components"]


def seed_places(session: Session) -> None:
    factories.customer(session, "LNXX")
    factories.site(session, "SY-01")
    factories.site(session, "DL-01", lat=38.914, lon=121.6147)
    factories.part(session, "PAC-2200WF", category="router_psu", vendor="Huawei")
    factories.part(session, "CR5D00E4XF90", category="router_mpu", vendor="Huawei")


@pytest.fixture
def places_db(db: Database) -> Database:
    with db.transaction() as session:
        seed_places(session)
    return db


def good_rows(n: int) -> list[list[str]]:
    return [
        [
            "SY-01" if i % 2 else "DL-01",
            "Huawei",
            "NE40E-X8",
            f"PE{i:04d}",
            f"2102{i:06d}",
            "V800R021C10SPC600",
            f"PSU1=PAC-2200WF:P{i:06d};MPU0=CR5D00E4XF90:M{i:06d}",
        ]
        for i in range(n)
    ]


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Device)).one(),
        session.exec(select(func.count()).select_from(Component)).one(),
        session.exec(select(func.count()).select_from(DeviceHistory)).one(),
    )


def run_import(db: Database, content: bytes, filename: str = "devices.csv") -> int:
    with db.transaction() as session:
        return device_import.import_devices(
            session, actor=factories.ACTOR, content=content, filename=filename
        )


def problems_of(db: Database, content: bytes, filename: str = "devices.csv") -> list[Any]:
    with pytest.raises(ValidationFailed) as caught:
        run_import(db, content, filename)
    return [(p["row"], p["column"]) for p in caught.value.details]


def test_a_good_file_imports_every_device_with_components_and_one_history_row_each(
    places_db: Database,
) -> None:
    assert run_import(places_db, as_csv(good_rows(50))) == 50
    with places_db.transaction(write=False) as session:
        assert counts(session) == (50, 100, 50)
        history = session.exec(select(DeviceHistory)).first()
        assert history is not None
        assert (history.action, history.reference) == ("imported", "devices.csv")
        assert history.after is not None
        assert len(history.after["components"]) == 2


def test_one_bad_row_among_1000_writes_nothing_and_is_reported(places_db: Database) -> None:
    rows = good_rows(1000)
    rows[636][0] = "NO-SUCH-SITE"
    assert problems_of(places_db, as_csv(rows)) == [(638, "site_code")]
    with places_db.transaction(write=False) as session:
        assert counts(session) == (0, 0, 0)


def test_every_bad_row_is_reported_with_row_column_and_reason(places_db: Database) -> None:
    with places_db.transaction() as session:
        factories.device(session, "IN-DB", components=[("PSU1", "PAC-2200WF", "TAKEN-P")])
    rows = good_rows(9)
    rows[0][4] = "IN-DB"  # row 2: device serial in the register
    rows[1][4] = rows[2][4]  # rows 3/4: the same serial twice in the file → reported on row 4
    rows[3][6] = "PSU1=NOPE:X1"  # row 5: unknown part
    rows[4][6] = "PSU1=PAC-2200WF:TAKEN-P"  # row 6: component serial installed already
    rows[5][6] = "PSU1 PAC-2200WF X"  # row 7: not slot=part:serial
    rows[6][6] = "A=PAC-2200WF:S1;A=PAC-2200WF:S2"  # row 8: slot twice
    rows[7][3] = ""  # row 9: hostname missing
    found = problems_of(places_db, as_csv(rows))
    assert sorted(found) == [
        (2, "serial"),
        (4, "serial"),
        (5, "components"),
        (6, "components"),
        (7, "components"),
        (8, "components"),
        (9, "hostname"),
    ]


def test_bad_config_status_and_columns_are_reported(places_db: Database) -> None:
    header = [*HEADER, "status", "config"]
    rows = [r + ["in_service", '{"role": "PE"}'] for r in good_rows(3)]
    rows[0][-1] = "[1, 2]"
    rows[1][-2] = "broken"
    assert sorted(problems_of(places_db, as_csv(rows, header))) == [(2, "config"), (3, "status")]
    assert problems_of(places_db, as_csv([], ["serial", "colour"])) == [
        (1, "colour"),
        (1, "site_code"),
        (1, "vendor"),
        (1, "model"),
        (1, "hostname"),
    ]


def test_xlsx_imports_like_csv(places_db: Database) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in good_rows(5):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    assert run_import(places_db, buffer.getvalue(), "devices.xlsx") == 5
    with places_db.transaction(write=False) as session:
        assert counts(session) == (5, 10, 5)


def test_rest_upload_is_all_or_nothing_with_details(
    client: TestClient, places_db: Database, admin: dict[str, str]
) -> None:
    rows = good_rows(20)
    rows[4][1] = ""
    bad = client.post(
        "/api/v1/devices/import", files={"file": ("d.csv", as_csv(rows))}, headers=admin
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"]["details"][0] | {"reason": ""} == {
        "row": 6,
        "column": "vendor",
        "field": "row 6: vendor",
        "reason": "",
    }
    assert client.get("/api/v1/devices", headers=admin).json()["items"] == []
    # The key guards the exact bytes: a retry resends the same body (same multipart boundary).
    headers = admin | {
        "Idempotency-Key": "import-1",
        "Content-Type": "multipart/form-data; boundary=retry-boundary",
    }
    good = client.post(
        "/api/v1/devices/import", files={"file": ("d.csv", as_csv(good_rows(20)))}, headers=headers
    )
    assert (good.status_code, good.json()) == (201, {"imported": 20})
    again = client.post(
        "/api/v1/devices/import", files={"file": ("d.csv", as_csv(good_rows(20)))}, headers=headers
    )
    assert (again.status_code, again.json()) == (201, {"imported": 20})
    listed = client.get("/api/v1/devices", params={"limit": 500}, headers=admin).json()
    assert len(listed["items"]) == 20


@pytest.fixture
def cli(committed_db: Database) -> Iterator[CliRunner]:
    old_settings = replace_settings(
        Settings(**(get_settings().model_dump() | {"database_url": committed_db.url}))
    )
    old_db = set_database(committed_db)
    with committed_db.transaction() as session:
        seed_places(session)
    yield CliRunner()
    set_database(old_db)
    replace_settings(old_settings)


def test_cli_import_lists_bad_rows_and_exits_non_zero(
    cli: CliRunner, committed_db: Database, tmp_path: Path
) -> None:
    rows = good_rows(30)
    rows[10][4] = rows[11][4]
    path = tmp_path / "devices.csv"
    path.write_bytes(as_csv(rows))
    failed = cli.invoke(app, ["import", "devices", str(path)])
    assert failed.exit_code == 1
    assert "row 13, serial:" in failed.stderr
    with committed_db.transaction(write=False) as session:
        assert counts(session) == (0, 0, 0)
    path.write_bytes(as_csv(good_rows(30)))
    done = cli.invoke(app, ["import", "devices", str(path)])
    assert done.exit_code == 0, done.stderr
    assert "imported 30 devices" in done.stderr
    with committed_db.transaction(write=False) as session:
        assert counts(session) == (30, 60, 30)
