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


HPE = PSU | {"part_number": "HPE-800", "vendor": "HPE", "specs": {"watts": 800, "input": "AC"}}


def test_another_vendors_part_substitutes_only_as_an_approved_alternate(
    client: TestClient, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    client.post(URL, json=PSU, headers=admin)
    client.post(URL, json=HPE, headers=admin)
    subs = client.get(f"{URL}/PSU-750/substitutes", headers=admin).json()
    assert [p["part_number"] for p in subs] == ["PSU-750"]

    approval = {"part_number": "HPE-800", "document": "Dell compatibility notice 2026-17"}
    assert (
        client.post(
            f"{URL}/PSU-750/alternates", json=approval, headers=headers_for("warehouse")
        ).status_code
        == 403
    )
    created = client.post(f"{URL}/PSU-750/alternates", json=approval, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["alternates"] == [approval]
    assert client.get(f"{URL}/PSU-750", headers=headers_for("engineer")).json() == created.json()
    subs = client.get(f"{URL}/PSU-750/substitutes", headers=admin).json()
    assert [p["part_number"] for p in subs] == ["PSU-750", "HPE-800"]
    # One way: the Dell part does not become a substitute for the HPE one.
    back = client.get(f"{URL}/HPE-800/substitutes", headers=admin).json()
    assert [p["part_number"] for p in back] == ["HPE-800"]
    assert client.get(f"{URL}/HPE-800", headers=admin).json()["alternates"] == []

    twice = client.post(f"{URL}/PSU-750/alternates", json=approval, headers=admin)
    assert twice.status_code == 409
    assert twice.json()["error"]["details"][0]["field"] == "part_number"

    gone = client.delete(f"{URL}/PSU-750/alternates/HPE-800", headers=admin)
    assert gone.status_code == 204
    assert client.get(f"{URL}/PSU-750", headers=admin).json()["alternates"] == []
    assert client.delete(f"{URL}/PSU-750/alternates/HPE-800", headers=admin).status_code == 404
    assert (
        client.delete(
            f"{URL}/PSU-750/alternates/HPE-800", headers=headers_for("dispatcher")
        ).status_code
        == 403
    )


def test_an_alternate_must_be_another_known_part(client: TestClient, admin: dict[str, str]) -> None:
    client.post(URL, json=PSU, headers=admin)
    for bad, field in (
        ({"part_number": "NOPE", "document": "x"}, "part_number"),
        ({"part_number": "PSU-750", "document": "x"}, "part_number"),
        ({"part_number": "PSU-750"}, "document"),
        ({"part_number": 7, "document": "x"}, "part_number"),
        ({"part_number": "PSU-750", "document": "x" * 201}, "document"),
    ):
        response = client.post(f"{URL}/PSU-750/alternates", json=bad, headers=admin)
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0]["field"].endswith(field), bad
    missing = {"part_number": "PSU-750", "document": "x"}
    assert client.post(f"{URL}/NOPE/alternates", json=missing, headers=admin).status_code == 404
    assert client.get(f"{URL}/PSU-750", headers=admin).json()["alternates"] == []
