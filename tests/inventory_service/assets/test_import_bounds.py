"""Imports are bounded when unpacked: the zip bomb, row and field caps are 413 before the work
grows, and no answer echoes more than a short excerpt of the file."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter
from fastapi.testclient import TestClient
from sqlmodel import func, select

from inventory_service.assets import device_import
from inventory_service.platform.db import Database
from inventory_service.platform.errors import PayloadTooLarge, ValidationFailed
from inventory_service.platform.settings import get_settings, replace_settings
from models import Device
from tests import factories
from tests.hostile import HEADER, xlsx_bomb
from tests.inventory_service.assets.test_device_import import as_csv, good_rows, run_import

URL = "/api/v1/devices/import"
MB = 1024 * 1024


@pytest.fixture(scope="session")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The issue's zip bomb: ~0.4 MB of xlsx whose shared strings unpack to 400 MB."""
    path = xlsx_bomb(tmp_path_factory.mktemp("hostile") / "bomb.xlsx", unpacked_mb=400)
    return path.read_bytes()


@pytest.fixture
def places_db(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01")
        factories.site(session, "DL-01", lat=38.914, lon=121.6147)
        factories.part(session, "PAC-2200WF", category="router_psu", vendor="Huawei")
        factories.part(session, "CR5D00E4XF90", category="router_mpu", vendor="Huawei")
    return db


@pytest.fixture
def caps() -> Iterator[None]:
    """Small caps: 5 rows, 1 KB fields, 1 MB unpacked."""
    cfg = get_settings().model_copy(
        update={"import_max_rows": 5, "import_max_field_kb": 1, "import_max_unpacked_mb": 1}
    )
    old = replace_settings(cfg)
    yield
    replace_settings(old)


def devices(db: Database) -> int:
    with db.transaction(write=False) as session:
        return session.exec(select(func.count()).select_from(Device)).one()


def xlsx(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate([HEADER + ["patch_level", "components"], *rows]):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


def test_the_zip_bomb_is_413_at_once_with_little_memory(
    places_db: Database, client: TestClient, admin: dict[str, str], bomb: bytes
) -> None:
    assert len(bomb) < MB
    tracemalloc.start()
    started = time.perf_counter()
    answer = client.post(
        URL, files={"file": ("bomb.xlsx", bomb, "application/octet-stream")}, headers=admin
    )
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert answer.status_code == 413, answer.text[:500]
    error = answer.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"][0]["field"] == "file"
    assert "INVENTORY_IMPORT_MAX_UNPACKED_MB" in error["details"][0]["reason"]
    assert len(answer.content) < 2000
    assert elapsed < 5.0
    assert peak < 100 * MB
    assert devices(places_db) == 0


def test_a_workbook_under_the_unpacked_cap_imports(places_db: Database) -> None:
    assert run_import(places_db, xlsx(good_rows(3)), "devices.xlsx") == 3


@pytest.mark.usefixtures("caps")
def test_a_workbook_over_the_unpacked_cap_is_refused_before_parsing(places_db: Database) -> None:
    big = [["SY-01", "Huawei", "NE40E", f"PE{i}", f"SN{i}", "x" * 300, ""] for i in range(5000)]
    content = xlsx(big)
    with pytest.raises(PayloadTooLarge) as caught:
        device_import.check_unpacked_size(content, MB)
    assert "unpacks to" in caught.value.message
    with pytest.raises(PayloadTooLarge):
        run_import(places_db, content, "devices.xlsx")
    assert devices(places_db) == 0


@pytest.mark.usefixtures("caps")
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_over_the_cap_are_413(places_db: Database, kind: str) -> None:
    assert run_import(places_db, as_csv(good_rows(5))) == 5
    content = as_csv(good_rows(6)) if kind == "csv" else xlsx(good_rows(6))
    with pytest.raises(PayloadTooLarge) as caught:
        run_import(places_db, content, f"more.{kind}")
    assert "more than 5 rows" in caught.value.message
    assert devices(places_db) == 5


@pytest.mark.usefixtures("caps")
def test_a_csv_field_over_the_cap_is_413_naming_the_row(
    places_db: Database, client: TestClient, admin: dict[str, str]
) -> None:
    rows = good_rows(3)
    rows[1][5] = "V" * 5000
    answer = client.post(URL, files={"file": ("d.csv", as_csv(rows))}, headers=admin)
    assert answer.status_code == 413
    assert answer.json()["error"]["details"][0]["field"] == "row 3"
    assert "VVVV" not in answer.text
    assert devices(places_db) == 0


def test_a_field_over_the_csv_modules_default_limit_is_not_a_500(
    places_db: Database, client: TestClient, admin: dict[str, str]
) -> None:
    rows = good_rows(1)
    rows[0][5] = "V" * 200_000  # over csv's default 131,072 and over our 64 KB cap
    answer = client.post(URL, files={"file": ("d.csv", as_csv(rows))}, headers=admin)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_problems_quote_only_a_short_excerpt(places_db: Database) -> None:
    huge = "X" * 10_000
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*HEADER, huge])
    with pytest.raises(ValidationFailed) as caught:
        run_import(places_db, buffer.getvalue().encode())
    detail = caught.value.details[0]
    assert len(detail["column"]) <= device_import.EXCERPT
    assert len(str(caught.value.details)) < 1000
    rows = good_rows(1)
    rows[0][6] = "Y" * 3000
    with pytest.raises(ValidationFailed) as caught:
        run_import(places_db, as_csv(rows))
    assert len(str(caught.value.details)) < 1000


def test_an_unreadable_workbook_is_422(places_db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        run_import(places_db, b"PK\x03\x04 not really a zip", "devices.xlsx")
    assert caught.value.details[0]["field"] == "file"
