"""A spare unit's firmware over HTTP: received with it, set by the warehouse through
`PATCH /spares/{id}` (one ledger row names the change), exported."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests.api.rest.test_spares import API, counts, depot, receive, wh
from tests.conftest import TokenFactory

__all__ = ["depot", "wh"]  # fixtures


def test_firmware_is_received_patched_by_the_warehouse_and_exported(
    client: TestClient, depot: Database, wh: dict[str, str], headers_for: TokenFactory
) -> None:
    unit = receive(client, wh, "FW-1", firmware_version="V200R021C00")
    assert unit["firmware_version"] == "V200R021C00"
    plain = receive(client, wh, "FW-2")
    assert plain["firmware_version"] is None
    url = f"{API}/spares/{plain['id']}"
    engineer = headers_for("engineer")
    assert client.patch(url, json={"firmware_version": "X"}, headers=engineer).status_code == 403
    for bad in ({"firmware_version": 7}, {"firmware_version": "x" * 101}, {"other": "x"}, {}):
        refused = client.patch(url, json=bad, headers=wh)
        assert refused.status_code == 422, bad
    before = counts(depot)
    patched = client.patch(url, json={"firmware_version": "V200R019C10"}, headers=wh)
    assert patched.status_code == 200, patched.text
    assert patched.json()["firmware_version"] == "V200R019C10"
    assert client.get(url, headers=wh).json() == patched.json()
    assert counts(depot) == (before[0], before[1] + 1)  # one ledger row names the change
    moves = client.get(f"{url}/movements", headers=wh).json()["items"]
    assert (moves[-1]["action"], moves[-1]["reference"]) == (
        "firmware_updated",
        "firmware: ? -> V200R019C10",
    )
    cleared = client.patch(url, json={"firmware_version": None}, headers=wh)
    assert cleared.json()["firmware_version"] is None
    exported = client.get(f"{API}/spares/export", params={"format": "csv"}, headers=wh)
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {r["Serial"]: r["Firmware"] for r in rows} == {"FW-1": "V200R021C00", "FW-2": ""}
    assert client.patch(f"{API}/spares/999999", json={"firmware_version": "x"},
                        headers=wh).status_code == 404  # fmt: skip
