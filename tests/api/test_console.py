"""The read-only console (/console): cookie sign-in, the API's roles and scope, each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.console import COOKIE, router
from inventory_service.platform.db import Database
from inventory_service.reporting.periods import default_month
from tests import factories as f
from tests.conftest import TokenFactory


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    """Two customers in two cities, one warehouse in Shenyang, a PSU spare and a replacement."""
    with db.transaction() as s:
        f.customer(s, "LNXX")
        f.customer(s, "LNGRID", "辽宁电网")
        f.site(s, "SY-01", customer_code="LNXX")
        f.site(s, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147, city="Dalian")
        f.warehouse(s, "WH-SY")
        f.part(s, "PSU-750W")
        f.part(s, "FAN-X", category="router_fan", specs={"rpm": 9000})
        mine = f.device(s, "DEV-MINE", site_code="SY-01", components=[("PSU1", "PSU-750W", "C1")])
        theirs = f.device(s, "DEV-THEIRS", site_code="DL-01", components=[("FAN1", "FAN-X", "C2")])
        f.spare(s, "SP-PSU-1", part_number="PSU-750W")
        f.spare(s, "SP-FAN-1", part_number="FAN-X")
    month = default_month()
    year, mon = (int(x) for x in month.split("-"))
    with db.transaction() as s:
        f.replacement_row(
            s, "OLD-1", replaced_at=datetime(year, mon, 10, 4, tzinfo=UTC), duration_minutes=90
        )
        f.replacement_row(
            s, "OLD-2", replaced_at=datetime(year, mon, 12, 4, tzinfo=UTC), duration_minutes=300
        )
    return {"mine": mine.id or 0, "theirs": theirs.id or 0}


def sign_in(client: TestClient, headers: dict[str, str]) -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    answer = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console"


def test_without_the_cookie_every_page_sends_to_sign_in(client: TestClient) -> None:
    for page in ("/console", "/console/spares", "/console/reach", "/console/report"):
        answer = client.get(page, follow_redirects=True)
        assert answer.url.path == "/console/sign-in"
        assert 'type="password"' in answer.text
        assert '<label for="token">' in answer.text


def test_the_cookie_is_httponly_strict_and_sign_out_forgets_it(
    client: TestClient, headers_for: TokenFactory
) -> None:
    bad = client.post("/console/sign-in", data={"token": "inv_nope"}, follow_redirects=False)
    assert bad.status_code == 401
    assert "set-cookie" not in bad.headers
    token = headers_for("dispatcher")["Authorization"].removeprefix("Bearer ")
    good = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    cookie = good.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={token};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    assert client.get("/console/spares", follow_redirects=False).status_code == 200
    out = client.post("/console/sign-out", follow_redirects=False)
    assert out.status_code == 303
    assert "Max-Age=0" in out.headers["set-cookie"] or "expires=" in out.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/console/spares", follow_redirects=False).status_code == 303


def test_the_console_writes_nothing() -> None:
    console = [r for r in router.routes if isinstance(r, APIRoute)]
    assert len(console) >= 10
    for route in console:
        assert route.methods <= {"GET", "HEAD"} or route.path in (
            "/console/sign-in",
            "/console/sign-out",
        ), route.path


def test_spares_list_is_the_apis_scope(
    client: TestClient, world: dict[str, int], headers_for: TokenFactory
) -> None:
    sign_in(client, headers_for("customer", customer="LNXX"))
    mine = client.get("/console/spares")
    assert mine.status_code == 200
    assert "SP-PSU-1" in mine.text
    assert "SP-FAN-1" not in mine.text  # a part of another customer's device only
    assert 'id="total">' in mine.text
    export = client.get("/console/spares/export?format=csv")
    assert export.status_code == 200
    assert "SP-PSU-1" in export.content.decode("utf-8-sig")
    assert "SP-FAN-1" not in export.content.decode("utf-8-sig")
    client.cookies.clear()
    sign_in(client, headers_for("dispatcher"))
    both = client.get("/console/spares", params={"warehouse_code": "WH-SY"})
    assert "SP-PSU-1" in both.text
    assert "SP-FAN-1" in both.text
    assert 'data-warehouse="WH-SY"' in both.text
    bad = client.get("/console/spares", params={"status": "lost"})
    assert bad.status_code == 422
    assert "status" in bad.text


def test_reach_answers_with_candidates_and_a_map(
    client: TestClient, world: dict[str, int], headers_for: TokenFactory
) -> None:
    sign_in(client, headers_for("dispatcher"))
    answer = client.get("/console/reach", params={"site_code": "SY-01", "part_number": "PSU-750W"})
    assert answer.status_code == 200
    assert "SP-PSU-1" in answer.text
    assert 'class="answer ok"' in answer.text
    assert "<svg" in answer.text
    assert 'class="route"' in answer.text
    assert 'class="ring"' in answer.text
    assert 'data-code="DL-01"' in answer.text
    by_slot = client.get("/console/reach", params={"device_id": world["mine"], "slot": "PSU1"})
    assert "SP-PSU-1" in by_slot.text
    form = client.get(
        "/console/reach",
        params={"site_code": "SY-01", "part_number": "PSU-750W", "device_id": "", "slot": ""},
    )
    assert "SP-PSU-1" in form.text
    bad = client.get("/console/reach", params={"device_id": "x1", "slot": "PSU1"})
    assert bad.status_code == 422
    assert "device_id" in bad.text
    english = client.get(
        "/console/reach", params={"site_code": "SY-01", "part_number": "PSU-750W", "lang": "en"}
    )
    assert "Reachable within the deadline" in english.text


def test_a_customer_sees_only_its_sites_and_devices(
    client: TestClient, world: dict[str, int], headers_for: TokenFactory
) -> None:
    sign_in(client, headers_for("customer", customer="LNXX"))
    reach = client.get("/console/reach")
    assert 'data-code="SY-01"' in reach.text
    assert 'data-code="DL-01"' not in reach.text
    other = client.get("/console/reach", params={"site_code": "DL-01", "part_number": "FAN-X"})
    assert other.status_code == 404
    coverage = client.get("/console/coverage")
    assert coverage.status_code == 200
    assert 'data-code="DL-01"' not in coverage.text
    assert 'id="c-customer"' not in coverage.text
    assert client.get(f"/console/devices/{world['theirs']}").status_code == 404
    device = client.get(f"/console/devices/{world['mine']}")
    assert device.status_code == 200
    assert "C1" in device.text
    assert "created" in device.text
    found = client.get("/console/devices", params={"serial": "C1"}, follow_redirects=False)
    assert found.headers["location"] == f"/console/devices/{world['mine']}"
    assert client.get("/console/devices", params={"serial": "C2"}).status_code == 404


def test_coverage_colours_sites_by_share_and_shows_the_plan(
    client: TestClient, world: dict[str, int], headers_for: TokenFactory
) -> None:
    sign_in(client, headers_for("dispatcher"))
    page = client.get("/console/coverage", params={"customer_code": "LNGRID"})
    assert page.status_code == 200
    assert 'id="stocking-plan"' in page.text
    assert re.search(r'data-code="DL-01">\s*<circle[^>]*fill="#', page.text)
    assert 'data-code="SY-01"' not in page.text


def test_monthly_report_for_the_roles_that_read_reports(
    client: TestClient, world: dict[str, int], headers_for: TokenFactory
) -> None:
    sign_in(client, headers_for("dispatcher"))
    refused = client.get("/console/report")
    assert refused.status_code == 403
    assert '/console/report"' not in refused.text  # not offered in the navigation either
    client.cookies.clear()
    sign_in(client, headers_for("customer", customer="LNXX"))
    report = client.get("/console/report")
    assert report.status_code == 200
    assert re.search(r'id="count">2<', report.text)
    for chart in ("chart-by-part", "chart-durations", "chart-weekly"):
        assert f'id="{chart}"' in report.text
    assert 'class="late"' in report.text
    xlsx = client.get(f"/console/report/export?month={default_month()}")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    earlier = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m")
    assert re.search(r'id="count">0<', client.get(f"/console/report?month={earlier}").text)
    assert client.get("/console/report?month=2026-13").status_code == 422


def test_language_switch_stays_in_the_console(client: TestClient) -> None:
    answer = client.get(
        "/console/lang/en", params={"next": "//evil.example/x"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/console"
    back = client.get("/console/lang/en", params={"next": "/console/reach"}, follow_redirects=False)
    assert back.headers["location"] == "/console/reach"
    assert "inventory_console_lang=en" in back.headers["set-cookie"]
