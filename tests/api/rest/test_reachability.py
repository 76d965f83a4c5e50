"""Reachability and coverage over HTTP: the contract's shape, errors and scope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inventory_service.assets import register
from inventory_service.platform.db import Database
from inventory_service.warehouse import stock
from models.device import DeviceUpdate
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
            "firmware_matches": None,  # asked by site and part: no device to compare
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
            "other_vendor": 0,
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


def test_a_customer_asks_only_about_parts_in_its_spares_scope(
    client: TestClient, headers_for: TokenFactory, stocked: dict[str, int], db: Database
) -> None:
    with db.transaction() as session:
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-495W", specs={"watts": 495, "input": "AC"})
        factories.part(session, "HPE-800W", vendor="HPE", specs={"watts": 800, "input": "AC"})
    grid = headers_for("customer", customer="LNGRID")

    def ask(part: str) -> int:
        params = {"site_code": "GRID-01", "part_number": part}
        return client.get(AVAILABILITY, params=params, headers=grid).status_code

    # Installed in its device, or a substitute for it: yes. A lower part, or another
    # vendor's: not in its scope, so it does not exist for it (as on /spares).
    assert [ask(p) for p in ("PSU-750W", "PSU-1100W", "PSU-495W", "HPE-800W")] == [
        200,
        200,
        404,
        404,
    ]
    assert (
        client.get(
            AVAILABILITY,
            params={"site_code": "GRID-01", "part_number": "PSU-495W"},
            headers=headers_for("dispatcher"),
        ).status_code
        == 200
    )


def test_coverage_for_a_customer_names_its_own_code(
    client: TestClient, headers_for: TokenFactory, stocked: dict[str, int]
) -> None:
    mine = client.get("/api/v1/coverage", headers=headers_for("customer", customer="LNGRID"))
    assert mine.status_code == 200, mine.text
    assert mine.json()["customer_code"] == "LNGRID"
    assert {r["customer_code"] for r in mine.json()["rows"]} == {"LNGRID"}
    province = client.get("/api/v1/coverage", headers=headers_for("admin"))
    assert province.json()["customer_code"] is None


def test_by_device_the_units_firmware_is_shown_and_a_match_ranks_first(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SHE-01")
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.warehouse(session, "WH-SY")
        old = factories.spare(session, "OLD-FW")  # received first: ranks first by receipt
        unknown = factories.spare(session, "NO-FW")
        same = factories.spare(session, "SAME-FW")
        for unit, firmware in ((old, "V1"), (same, "V2")):
            stock.set_firmware(
                session, actor=factories.ACTOR, spare_id=unit.id or 0, firmware_version=firmware
            )
        device = factories.installed_part(
            session, site_code="SHE-01", part_number="PSU-750W", serial="C1"
        ).device_id
        register.patch_device(
            session,
            actor=factories.ACTOR,
            device_id=device,
            data=DeviceUpdate(firmware_version="V2"),
        )
    by_device = client.get(
        AVAILABILITY, params={"device_id": device, "slot": "PSU1"}, headers=admin
    ).json()
    assert [(c["serial"], c["firmware_matches"]) for c in by_device["candidates"]] == [
        ("SAME-FW", True),
        ("OLD-FW", False),
        ("NO-FW", None),
    ]
    assert by_device["best"]["serial"] == "SAME-FW"
    by_site = client.get(
        AVAILABILITY, params={"site_code": "SHE-01", "part_number": "PSU-750W"}, headers=admin
    ).json()
    # Asked without a device: the usual order, and no firmware verdict.
    assert [(c["serial"], c["firmware_matches"]) for c in by_site["candidates"]] == [
        ("OLD-FW", None),
        ("NO-FW", None),
        ("SAME-FW", None),
    ]
    assert unknown.id is not None
