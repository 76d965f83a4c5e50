"""The distance helpers reachability relies on: geopy's geodesic, and a bracket of it."""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic
from hypothesis import given
from hypothesis import strategies as st

from inventory_service.reach.geo import (
    VINCENTY_MARGIN_KM,
    destination,
    distance_bounds_km,
    distance_km,
    vincenty_km,
)

LAT = st.floats(-70, 70)
LON = st.floats(-180, 180)


@given(lat1=LAT, lon1=LON, lat2=LAT, lon2=LON)
def test_distance_is_geopys_geodesic_to_the_last_bit(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    assert distance_km(lat1, lon1, lat2, lon2) == geodesic((lat1, lon1), (lat2, lon2)).km


@given(lat=LAT, lon=LON, bearing=st.floats(0, 360), km=st.floats(0, 600))
def test_the_bracket_holds_the_geodesic(lat: float, lon: float, bearing: float, km: float) -> None:
    lat2, lon2 = destination(lat, lon, bearing_deg=bearing, km=km)
    low, high = distance_bounds_km(lat, lon, lat2, lon2)
    assert low <= distance_km(lat, lon, lat2, lon2) <= high


@given(lat=LAT, lon=LON, bearing=st.floats(0, 360), km=st.floats(0, 1000))
def test_vincenty_stays_far_inside_its_margin_of_the_geodesic(
    lat: float, lon: float, bearing: float, km: float
) -> None:
    lat2, lon2 = destination(lat, lon, bearing_deg=bearing, km=km)
    (vincenty,) = vincenty_km(*(np.array([x]) for x in (lat, lon, lat2, lon2)))
    # Coverage decides a band from Vincenty only with VINCENTY_MARGIN_KM on both sides: the
    # two must agree a hundred times closer than that.
    assert abs(vincenty - distance_km(lat, lon, lat2, lon2)) <= VINCENTY_MARGIN_KM / 100


def test_vincenty_of_many_lines_at_once_and_of_a_point_to_itself() -> None:
    shenyang, dalian, dandong = (41.8057, 123.4315), (38.914, 121.6147), (40.129, 124.3947)
    starts, ends = [shenyang, dalian, dandong], [dalian, dandong, dandong]
    km = vincenty_km(
        np.array([p[0] for p in starts]),
        np.array([p[1] for p in starts]),
        np.array([p[0] for p in ends]),
        np.array([p[1] for p in ends]),
    )
    assert abs(km[0] - distance_km(*shenyang, *dalian)) < 1e-7
    assert abs(km[1] - distance_km(*dalian, *dandong)) < 1e-7
    assert km[2] == 0.0
