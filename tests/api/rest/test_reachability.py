"""Reachability and coverage over HTTP: the contract's shape, errors and scope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.conftest import TokenFactory

AVAILABILITY = "/api/v1/availability"


@pytest.fixture
def stocked(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SHE-01")
        factories.site(session, "DAL-01", lat=38.9140, lon=121.6147, city="Dalian")
        factories.site(session, "GRID-01", customer_code="LNGRID", lat=41.8808, lon=123.9572)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.warehouse(session, "WH-SY")
        good = factories.spare(session, "GOOD")
        fake = factories.spare(session, "FAKE", genuine=False)
        component = factories.installed_part(
            session, site_code="GRID-01", part_number="PSU-750W", serial="C1", slot="PSU1"
        )
    return {"good": good.id or 0, "fake": fake.id or 0, "device": component.device_id}


def test_the_answer_has_the_contract_shape(
    client: TestClient, headers_for: TokenFactory, stocked: dict[str, int]
) -> None:
    response = client.get(
        AVAILABILITY,
        params={"site_code": "SHE-01", "part_number": "PSU-750W"},
        headers=headers_for("dispatcher"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "site_code": "SHE-01",
        "part_number": "PSU-750W",
        "deadline_minutes": 240,
        "reachable": True,
        "best": {
            "spare_id": stocked["good"],
            "serial": "GOOD",
            "part_number": "PSU-750W",
            "substitute": False,
            "warehouse_code": "WH-SY",
            "distance_km": 0.0,
            "band_minutes": 30,
            "eta_minutes": 30,
        },
        "candidates": [body["best"]],
        "rejected": [
            {
                "spare_id": stocked["fake"],
                "part_number": "PSU-750W",
                "warehouse_code": "WH-SY",
                "reason": "not_genuine",
                "distance_km": 0.0,
            }
        ],
        "candidate_count": 1,
        "rejected_counts": {
            "not_genuine": 1,
            "not_available": 0,
            "spec_lower": 0,
            "not_covered": 0,
            "too_far": 0,
        },
    }


def test_too_far_carries_its_eta_and_best_is_null(
    client: TestClient, admin: dict[str, str], stocked: dict[str, int]
) -> None:
    body = client.get(
        AVAILABILITY, params={"site_code": "DAL-01", "part_number": "PSU-750W"}, headers=admin
    ).json()
    assert body["reachable"] is False
    assert body["best"] is None
    assert [(r["reason"], r.get("eta_minutes")) for r in body["rejected"]] == [
        ("too_far", 300),  # same warehouse: by spare id
        ("not_genuine", None),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (
            {"site_code": "SHE-01", "part_number": "PSU-750W", "deadline_minutes": 0},
            "deadline_minutes",
        ),
        (
            {"site_code": "SHE-01", "part_number": "PSU-750W", "deadline_minutes": "4h"},
            "deadline_minutes",
        ),
        ({"site_code": "SHE-01", "part_number": "PSU-750W", "limit": 501}, "limit"),
        ({"site_code": "SHE-01"}, "part_number"),
        ({"device_id": 1}, "slot"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient,
    admin: dict[str, str],
    stocked: dict[str, int],
    params: dict[str, object],
    field: str,
) -> None:
    response = client.get(AVAILABILITY, params=params, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert field in {d["field"].split(".")[-1] for d in response.json()["error"]["details"]}


def test_unknown_site_part_device_or_slot_is_404(
    client: TestClient, admin: dict[str, str], stocked: dict[str, int]
) -> None:
    for params in (
        {"site_code": "NOPE", "part_number": "PSU-750W"},
        {"site_code": "SHE-01", "part_number": "NOPE"},
        {"device_id": 999999, "slot": "PSU1"},
        {"device_id": stocked["device"], "slot": "PSU9"},
    ):
        response = client.get(AVAILABILITY, params=params, headers=admin)
        assert response.status_code == 404, params
        assert response.json()["error"]["code"] == "not_found"


def test_a_customer_sees_its_own_sites_and_devices_only(
    client: TestClient, headers_for: TokenFactory, stocked: dict[str, int]
) -> None:
    grid = headers_for("customer", customer="LNGRID")
    own = client.get(AVAILABILITY, params={"site_code": "GRID-01", "part_number": "PSU-750W"},
                     headers=grid)  # fmt: skip
    by_device = client.get(AVAILABILITY, params={"device_id": stocked["device"], "slot": "PSU1"},
                           headers=grid)  # fmt: skip
    other = client.get(AVAILABILITY, params={"site_code": "SHE-01", "part_number": "PSU-750W"},
                       headers=grid)  # fmt: skip
    foreign_device = client.get(
        AVAILABILITY,
        params={"device_id": stocked["device"], "slot": "PSU1"},
        headers=headers_for("customer", customer="LNXX"),
    )
    assert own.status_code == 200
    assert by_device.json() == own.json()
    assert (other.status_code, foreign_device.status_code) == (404, 404)


def test_coverage_over_http(
    client: TestClient, headers_for: TokenFactory, stocked: dict[str, int]
) -> None:
    response = client.get("/api/v1/coverage", headers=headers_for("reporter"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["pairs"], body["covered"], body["share_covered"]) == (1, 1, 1.0)
    assert body["rows"][0]["best_eta_minutes"] == 60
    assert body["gaps"] == []
    assert body["stocking_plan"] == []
    bad = client.get(
        "/api/v1/coverage", params={"deadline_minutes": 0}, headers=headers_for("reporter")
    )
    assert bad.status_code == 422
