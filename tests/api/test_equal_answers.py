"""The fast paths answer byte for byte what the general code answered, on a fixed data set.

`golden/answers.json` was written by the code before the fast paths (counts grouped from the
units, per-warehouse Python legs, the generic request path): each entry is the raw body of
one request, with database ids and timestamps replaced by stable tokens (ids differ between
backends and runs; nothing else is touched). Regenerate only for an intended change of an
answer: `INVENTORY_WRITE_GOLDEN=1 pytest tests/api/test_equal_answers.py`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from inventory_service.platform.db import Database
from inventory_service.warehouse import stock
from models import UnitStatus
from tests import factories
from tests.conftest import TokenFactory

GOLDEN = Path(__file__).parent / "golden" / "answers.json"
BOARD = (
    "query ($cursor: String) { devices(limit: 3, cursor: $cursor) { items { serial status "
    "site { code city hubBandMinutes } "
    "components { slot serial part { partNumber name category } } } nextCursor } }"
)
_STAMP = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"')


def _build(db: Database) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-CORE")
        factories.site(session, "DAL-01", lat=38.9140, lon=121.6147, city="Dalian")
        factories.site(session, "CY-01", lat=41.5718, lon=120.4509, city="Chaoyang")
        factories.site(session, "GRID-01", customer_code="LNGRID", lat=41.8808, lon=123.9572)
        factories.site(session, "FAR-01", lat=41.5718, lon=120.4509, distance_km_override=900)
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-AS", lat=41.1087, lon=122.9946, handling_minutes=30)
        factories.warehouse(session, "WH-DL", lat=38.9140, lon=121.6147, handling_minutes=15)
        factories.warehouse(session, "WH-DD", lat=40.1245, lon=124.3832, handling_minutes=45)
        factories.warehouse(session, "WH-JZ", lat=41.0951, lon=121.1270, kind="depot")
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-750W-DC", specs={"watts": 750, "input": "DC"})
        factories.part(session, "SFP-10G", category="optics", specs={"gbps": 10})
        serial = 0
        for code in ("WH-SY", "WH-AS", "WH-DL", "WH-DD", "WH-JZ"):
            for number in ("PSU-750W", "PSU-1100W", "PSU-750W-DC", "SFP-10G"):
                for kind in ("ok", "ok", "fake", "raw"):
                    serial += 1
                    factories.spare(
                        session,
                        f"{code[3:]}-{number}-{serial:03d}",
                        part_number=number,
                        warehouse_code=code,
                        genuine=kind != "fake",
                        provenance={} if kind == "raw" else None,
                    )
        factories.installed_part(
            session, site_code="GRID-01", part_number="PSU-750W", serial="C1", slot="PSU1"
        )
        factories.device(
            session,
            "DEV-SY-1",
            site_code="SY-CORE",
            components=[("PSU1", "PSU-750W", "C2"), ("XFP1", "SFP-10G", "C3")],
        )
        factories.device(session, "DEV-DL-1", site_code="DAL-01")
    with db.transaction() as session:
        units = session.execute(text("SELECT id FROM spare_unit ORDER BY id")).scalars().all()
        for spare_id in units[::7]:  # some held, some faulty, one written off
            unit = stock.lock_unit(session, spare_id=spare_id)
            if unit.status != UnitStatus.AVAILABLE.value:
                continue
            stock.transition(session, unit, UnitStatus.RESERVED, actor=factories.ACTOR, action="r")
        for spare_id in units[3::11]:
            unit = stock.lock_unit(session, spare_id=spare_id)
            if unit.status == UnitStatus.AVAILABLE.value:
                stock.transition(
                    session, unit, UnitStatus.SCRAPPED, actor=factories.ACTOR, action="s"
                )


def _names(db: Database) -> dict[bytes, dict[int, str]]:
    """Database id → stable name, per kind of id."""
    with db.transaction(write=False) as session:
        spares = dict(session.execute(text("SELECT id, serial FROM spare_unit")).all())
        devices = dict(session.execute(text("SELECT id, serial FROM device")).all())
        sites = dict(session.execute(text("SELECT id, code FROM site")).all())
    return {b"spare_id": spares, b"device_id": devices, b"site_id": sites}


# A device's or component's own "id" comes before its "serial" in the same object.
_OWN_ID = re.compile(rb'"id":\d+,((?:(?!"id":)[^{}])*?)"serial":"([^"]*)"')


def _stable(body: bytes, names: dict[bytes, dict[int, str]]) -> str:
    def name(match: re.Match[bytes]) -> bytes:
        key, value = match.group(1), int(match.group(2))
        return b'"%s":"#%s"' % (key, names[key].get(value, "?").encode())

    body = _OWN_ID.sub(rb'"id":"#\2",\1"serial":"\2"', body)
    body = re.sub(rb'"(spare_id|device_id|site_id)":(\d+)', name, body)
    return _STAMP.sub(b'"<time>"', body).decode()


def _requests(
    client: TestClient, headers_for: TokenFactory, db: Database
) -> dict[str, tuple[int, bytes]]:
    dispatcher = headers_for("dispatcher")
    grid = headers_for("customer", customer="LNGRID")
    out: dict[str, tuple[int, bytes]] = {}
    for site in ("SY-CORE", "DAL-01", "CY-01", "FAR-01"):
        for part in ("PSU-750W", "PSU-1100W", "SFP-10G"):
            for deadline in (None, 45, 90, 600):
                for limit in (None, 3):
                    params: dict[str, str | int] = {"site_code": site, "part_number": part}
                    if deadline is not None:
                        params["deadline_minutes"] = deadline
                    if limit is not None:
                        params["limit"] = limit
                    r = client.get("/api/v1/availability", params=params, headers=dispatcher)
                    out[f"availability {sorted(params.items())}"] = (r.status_code, r.content)
    for params, who in (
        ({"site_code": "GRID-01", "part_number": "PSU-750W"}, grid),
        ({"site_code": "SY-CORE", "part_number": "PSU-750W"}, grid),
        ({"site_code": "SY-CORE", "part_number": "NOPE"}, dispatcher),
        ({"site_code": "SY-CORE", "part_number": "PSU-750W", "deadline_minutes": 0}, dispatcher),
    ):
        r = client.get("/api/v1/availability", params=params, headers=who)
        out[f"availability as {'customer' if who is grid else 'dispatcher'} {params}"] = (
            r.status_code,
            r.content,
        )
    device_id = {v: k for k, v in _names(db)[b"device_id"].items()}["DEV-SY-1"]
    r = client.get(
        "/api/v1/availability", params={"device_id": device_id, "slot": "PSU1"}, headers=dispatcher
    )
    out["availability by device slot"] = (r.status_code, r.content)
    for serial in ("DEV-SY-1", "C3", "DC1", "NOPE"):
        for who, label in ((dispatcher, "dispatcher"), (grid, "customer")):
            r = client.get("/api/v1/devices", params={"serial": serial}, headers=who)
            out[f"devices serial={serial} as {label}"] = (r.status_code, r.content)
    cursor = None
    for page in range(2):
        r = client.post(
            "/graphql", json={"query": BOARD, "variables": {"cursor": cursor}}, headers=dispatcher
        )
        out[f"graphql board page {page}"] = (r.status_code, r.content)
        cursor = r.json()["data"]["devices"]["nextCursor"]
    return out


def test_answers_equal_the_pinned_ones(
    client: TestClient, headers_for: TokenFactory, db: Database
) -> None:
    _build(db)
    names = _names(db)
    got = {
        key: {"status": status, "body": _stable(body, names)}
        for key, (status, body) in _requests(client, headers_for, db).items()
    }
    if os.environ.get("INVENTORY_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
        pytest.skip("golden answers written")
    pinned = json.loads(GOLDEN.read_text())
    assert got.keys() == pinned.keys()
    for key in pinned:
        assert got[key] == pinned[key], key
