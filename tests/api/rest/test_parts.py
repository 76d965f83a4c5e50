"""The parts catalogue over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import TokenFactory

URL = "/api/v1/parts"
PSU = {
    "part_number": "PSU-750",
    "name": "750W PSU",
    "vendor": "Dell",
    "category": "server_psu",
    "specs": {"watts": 750, "input": "AC"},
}


def test_warehouse_creates_parts_everyone_reads_them(
    client: TestClient, headers_for: TokenFactory
) -> None:
    warehouse = headers_for("warehouse")
    created = client.post(URL, json=PSU, headers=warehouse)
    assert created.status_code == 201
    assert client.get(f"{URL}/PSU-750", headers=headers_for("engineer")).json() == created.json()
    assert (
        client.post(
            URL, json=PSU | {"part_number": "X"}, headers=headers_for("engineer")
        ).status_code
        == 403
    )
    assert client.post(URL, json=PSU, headers=warehouse).status_code == 409


def test_specs_must_be_numbers_or_text(client: TestClient, admin: dict[str, str]) -> None:
    for bad in ({"watts": True}, {"watts": [750]}, {"watts": {"v": 1}}, {"watts": None}):
        response = client.post(URL, json=PSU | {"specs": bad}, headers=admin)
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0]["field"].startswith("specs.watts")
    assert client.get(URL, headers=admin).json()["items"] == []


def test_substitutes_and_filters(client: TestClient, admin: dict[str, str]) -> None:
    client.post(URL, json=PSU, headers=admin)
    client.post(
        URL,
        json=PSU | {"part_number": "PSU-1100", "specs": {"watts": 1100, "input": "AC"}},
        headers=admin,
    )
    client.post(
        URL,
        json=PSU | {"part_number": "PSU-650", "specs": {"watts": 650, "input": "AC"}},
        headers=admin,
    )
    subs = client.get(f"{URL}/PSU-750/substitutes", headers=admin).json()
    assert [p["part_number"] for p in subs] == ["PSU-750", "PSU-1100"]
    listed = client.get(URL, params={"category": "server_psu", "limit": 2}, headers=admin).json()
    assert len(listed["items"]) == 2
    assert listed["next_cursor"]
    assert client.get(f"{URL}/NOPE/substitutes", headers=admin).status_code == 404
