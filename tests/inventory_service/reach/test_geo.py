"""The distance helpers reachability relies on: geopy's geodesic, and a bracket of it."""

from __future__ import annotations

from geopy.distance import geodesic
from hypothesis import given
from hypothesis import strategies as st

from inventory_service.reach.geo import destination, distance_bounds_km, distance_km

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
