"""Sites and warehouses over HTTP: hub distance and band, validation, scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from inventory_service.platform.db import Database
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from tests.conftest import TokenFactory

SITES = "/api/v1/sites"
WAREHOUSES = "/api/v1/warehouses"


def site(code: str, lat: float, lon: float, **extra: object) -> dict[str, object]:
    return {
        "code": code,
        "name": code,
        "customer_code": "LNXX",
        "city": code,
        "lat": lat,
        "lon": lon,
    } | extra


@pytest.fixture
def customers(client: TestClient, admin: dict[str, str]) -> None:
    for code in ("LNXX", "LNGRID"):
        client.post("/api/v1/customers", json={"code": code, "name": code}, headers=admin)


@pytest.mark.usefixtures("customers")
@pytest.mark.parametrize(
    ("city", "lat", "lon", "km", "band"),
    [
        ("Shenyang", 41.8057, 123.4315, 0.0, 30),
        ("Fushun", 41.8808, 123.9572, 44.45, 60),
        ("Anshan", 41.1087, 122.9946, 85.59, 60),
        ("Dandong", 40.1292, 124.3947, 203.07, 180),
        ("Dalian", 38.9140, 121.6147, 356.24, 300),
        ("Beijing", 39.9042, 116.4074, 628.55, None),
    ],
)
def test_sites_get_their_hub_distance_and_band(
    client: TestClient,
    admin: dict[str, str],
    city: str,
    lat: float,
    lon: float,
    km: float,
    band: int | None,
) -> None:
    created = client.post(SITES, json=site(city, lat, lon), headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["hub_distance_km"] == pytest.approx(km, abs=0.01)
    assert body["hub_band_minutes"] == band
    assert body["customer_code"] == "LNXX"
    assert client.get(f"{SITES}/{city}", headers=admin).json() == body


@pytest.mark.usefixtures("customers")
def test_a_distance_override_decides_the_band_at_its_edges(
    client: TestClient, admin: dict[str, str]
) -> None:
    for code, km, band in (("A", 99.9, 60), ("B", 100.0, 60), ("C", 100.1, 180)):
        body = client.post(
            SITES, json=site(code, 41.8, 123.4, distance_km_override=km), headers=admin
        ).json()
        assert (body["hub_distance_km"], body["hub_band_minutes"]) == (km, band)
    patched = client.patch(f"{SITES}/C", json={"distance_km_override": None}, headers=admin)
    assert patched.json()["hub_band_minutes"] == 30
    covered = client.get(SITES, params={"hub_band_minutes": 60}, headers=admin).json()
    assert sorted(s["code"] for s in covered["items"]) == ["A", "B"]


@pytest.mark.usefixtures("customers")
def test_bad_sites_are_422_naming_the_field_and_write_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    cases = [
        (site("X", 91.0, 123.0), "lat"),
        (site("X", 41.0, -181.0), "lon"),
        (site("X", "41.0", 123.0), "lat"),
        (site("X", 41.0, 123.0, customer_code="NOPE"), "customer_code"),
        (site("X", 41.0, 123.0, distance_km_override=-1), "distance_km_override"),
    ]
    for body, field in cases:
        response = client.post(SITES, json=body, headers=admin)
        assert response.status_code == 422, body
        assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert client.get(SITES, headers=admin).json()["items"] == []
    client.post(SITES, json=site("X", 41.0, 123.0), headers=admin)
    assert client.post(SITES, json=site("X", 41.0, 123.0), headers=admin).status_code == 409
    assert client.patch(f"{SITES}/X", json={"lat": None}, headers=admin).status_code == 422


@pytest.mark.usefixtures("customers")
def test_a_customer_sees_only_its_own_sites(
    client: TestClient, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    client.post(SITES, json=site("MINE", 41.8, 123.4), headers=admin)
    client.post(SITES, json=site("THEIRS", 41.8, 123.4, customer_code="LNGRID"), headers=admin)
    own = headers_for("customer", customer="LNXX")
    assert [s["code"] for s in client.get(SITES, headers=own).json()["items"]] == ["MINE"]
    assert client.get(f"{SITES}/THEIRS", headers=own).status_code == 404
    assert client.post(SITES, json=site("Y", 41.8, 123.4), headers=own).status_code == 403


def test_warehouses(client: TestClient, admin: dict[str, str], headers_for: TokenFactory) -> None:
    depot = {
        "code": "WH-DL",
        "name": "大连前置库",
        "lat": 38.914,
        "lon": 121.6147,
        "kind": "depot",
        "handling_minutes": 15,
    }
    created = client.post(WAREHOUSES, json=depot, headers=admin)
    assert created.status_code == 201
    assert created.json()["hub_distance_km"] == pytest.approx(356.0, abs=2.0)
    reader = headers_for("engineer")
    assert client.get(f"{WAREHOUSES}/WH-DL", headers=reader).json() == created.json()
    assert (
        client.post(
            WAREHOUSES, json=depot | {"code": "W2", "kind": "shop"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.post(
            WAREHOUSES, json=depot | {"code": "W3", "handling_minutes": -5}, headers=admin
        ).status_code
        == 422
    )
    listed = client.get(WAREHOUSES, params={"kind": "depot"}, headers=admin).json()["items"]
    assert [w["code"] for w in listed] == ["WH-DL"]


@pytest.fixture
def moved_hub() -> Iterator[None]:
    old = replace_settings(
        Settings(**(get_settings().model_dump() | {"hub_lat": 38.914, "hub_lon": 121.6147}))
    )
    yield
    replace_settings(old)


@pytest.mark.usefixtures("customers")
def test_distances_follow_the_settings_at_start_up(
    client: TestClient, admin: dict[str, str], db: Database, request: pytest.FixtureRequest
) -> None:
    client.post(SITES, json=site("DL", 38.914, 121.6147), headers=admin)
    assert client.get(f"{SITES}/DL", headers=admin).json()["hub_band_minutes"] == 300
    request.getfixturevalue("moved_hub")
    with TestClient(create_app(database=db)) as restarted:
        body = restarted.get(f"{SITES}/DL", headers=admin).json()
    assert body["hub_distance_km"] == pytest.approx(0.0, abs=0.01)
    assert body["hub_band_minutes"] == 30
