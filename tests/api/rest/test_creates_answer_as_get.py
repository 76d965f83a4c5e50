"""Every create answers exactly what its GET returns (times in UTC with `Z`, whatever offset
the caller wrote), route by route, through one realistic chain of records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, timezone
from itertools import count
from typing import Any

from fastapi.testclient import TestClient

from models.base import utcnow

API = "/api/v1"
SHANGHAI = timezone(timedelta(hours=8))
KEYS = count()


def created_as_get(
    client: TestClient, headers: dict[str, str], path: str, body: dict[str, Any], read: str
) -> dict[str, Any]:
    """POST `body` to `path`, then GET `read` (formatted with the answer): both equal."""
    key = {"Idempotency-Key": f"{path}-{next(KEYS)}"}
    answer = client.post(f"{API}{path}", json=body, headers=headers | key)
    assert answer.status_code == 201, (path, answer.text)
    made: dict[str, Any] = answer.json()
    got = client.get(f"{API}{read.format(**made)}", headers=headers)
    assert got.status_code == 200, (read, got.text)
    assert made == got.json(), path
    return made


def utc_text(value: str) -> bool:
    return value.endswith("Z")


Make = Callable[[str, dict[str, Any], str], dict[str, Any]]


def _places_and_parts(make: Make) -> None:
    make("/customers", {"code": "LNXX", "name": "辽宁XX"}, "/customers/{code}")
    site = {"name": "沈阳核心", "customer_code": "LNXX", "city": "Shenyang"}
    make("/sites", site | {"code": "SY-01", "lat": 41.8, "lon": 123.43}, "/sites/{code}")
    make(
        "/warehouses",
        {"code": "WH-SY", "name": "沈阳库", "lat": 41.8057, "lon": 123.4315, "kind": "central"},
        "/warehouses/{code}",
    )
    psu = {"name": "PSU", "vendor": "Dell", "category": "server_psu", "specs": {"watts": 750}}
    make("/parts", psu | {"part_number": "PSU-750W"}, "/parts/{part_number}")
    hpe = psu | {"part_number": "HPE-800W", "vendor": "HPE", "specs": {"watts": 800}}
    make("/parts", hpe, "/parts/{part_number}")
    make(
        "/parts/PSU-750W/alternates",
        {"part_number": "HPE-800W", "document": "Dell notice 17"},
        "/parts/{part_number}",
    )


def _devices_and_stock(make: Make) -> tuple[dict[str, Any], dict[str, Any]]:
    """The device (two PSUs), a standby of its model and a unit for it: (device, standby)."""
    server = {"site_code": "SY-01", "vendor": "Dell", "model": "R740", "hostname": "srv"}
    psu1 = {"slot": "PSU1", "part_number": "PSU-750W", "serial": "OLD-1"}
    device = make("/devices", server | {"serial": "SRV-1", "components": [psu1]}, "/devices/{id}")
    make(
        f"/devices/{device['id']}/components",
        {"slot": "PSU2", "part_number": "PSU-750W", "serial": "OLD-2"},
        "/devices/{id}",
    )
    standby = make("/devices", server | {"serial": "SRV-SB", "status": "standby"}, "/devices/{id}")
    provenance = {"supplier": "Dell China", "channel": "原厂直供", "document": "PO-1"}
    unit = make(
        "/spares",
        {
            "part_number": "PSU-750W",
            "serial": "NEW-1",
            "warehouse_code": "WH-SY",
            "genuine": True,
            "provenance": provenance,
            "condition": "new",
            "firmware_version": "1.2.3",
        },  # fmt: skip
        "/spares/{id}",
    )
    assert utc_text(unit["received_at"])
    make(
        "/warehouses/WH-SY/stocktakes",
        {"counted": [{"serial": "NEW-1"}]},
        "/warehouses/WH-SY/stocktakes/{id}",
    )
    return device, standby


def _replacement(make: Make, device: dict[str, Any]) -> None:
    reservation = make(
        "/reservations",
        {
            "site_code": "SY-01",
            "part_number": "PSU-750W",
            "ticket": "INC-1",
            "engineer": "王工",
            "device_id": device["id"],
        },  # fmt: skip
        "/reservations/{id}",
    )
    assert utc_text(reservation["expires_at"])
    reported = (utcnow() - timedelta(hours=3)).astimezone(SHANGHAI)
    done = make(
        "/replacements",
        {
            "reservation_id": reservation["id"],
            "device_id": device["id"],
            "removed_serial": "OLD-1",
            "reason": "电源故障",
            "fault_level": "major",
            "fault_impact": "单电源运行",
            "fault_reported_at": reported.isoformat(),
            "remote_support_at": (reported + timedelta(minutes=5)).isoformat(),
            "arrived_at": (reported + timedelta(minutes=50)).isoformat(),
            "replaced_at": (reported + timedelta(minutes=90)).isoformat(),
            "customer_confirmed_by": "客户张三",
            "engineer_confirmed_by": "工程师李四",
        },
        "/replacements/{id}",
    )
    times = ("fault_reported_at", "remote_support_at", "arrived_at", "replaced_at")
    assert all(utc_text(done[k]) for k in times), done


def test_every_create_answers_exactly_as_its_get(client: TestClient, admin: dict[str, str]) -> None:
    def make(path: str, body: dict[str, Any], read: str) -> dict[str, Any]:
        return created_as_get(client, admin, path, body, read)

    _places_and_parts(make)
    device, standby = _devices_and_stock(make)
    _replacement(make, device)
    faulty = client.get(f"{API}/spares", params={"serial": "OLD-1"}, headers=admin).json()
    repair = make(
        "/repairs",
        {"spare_id": faulty["items"][0]["id"], "vendor": "Dell", "rma_number": "RMA-1"},
        "/repairs/{id}",
    )
    assert utc_text(repair["sent_at"])
    due = (utcnow() + timedelta(days=2)).astimezone(SHANGHAI)
    loan = make(
        "/loans",
        {
            "standby_device_id": standby["id"],
            "site_code": "SY-01",
            "replaces_device_id": device["id"],
            "ticket": "INC-1",
            "due_at": due.isoformat(),
        },  # fmt: skip
        "/loans/{id}",
    )
    assert utc_text(loan["due_at"])
    assert utc_text(loan["lent_at"])
