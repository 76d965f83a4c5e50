"""The contract's travel bands: edges inclusive, unrounded, configurable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_service.platform.settings import Settings
from inventory_service.reach.bands import band_minutes


@pytest.mark.parametrize(
    ("km", "minutes"),
    [
        (0.0, 30),
        (25.0, 30),
        (25.0001, 60),
        (99.9, 60),
        (100.0, 60),
        (100.1, 180),
        (300.0, 180),
        (300.0001, 300),
        (500.0, 300),
        (500.0001, None),
        (1200.0, None),
    ],
)
def test_default_bands_at_their_edges(km: float, minutes: int | None) -> None:
    assert band_minutes(km) == minutes


@given(a=st.floats(0, 2000), b=st.floats(0, 2000))
def test_farther_is_never_faster(a: float, b: float) -> None:
    near, far = sorted((a, b))
    near_band, far_band = band_minutes(near), band_minutes(far)
    if near_band is None:
        assert far_band is None
    elif far_band is not None:
        assert near_band <= far_band


def test_bands_are_configurable() -> None:
    cfg = Settings(local_radius_km=10, local_band_minutes=20, travel_bands=[(50, 45)])
    assert band_minutes(10, cfg) == 20
    assert band_minutes(50, cfg) == 45
    assert band_minutes(50.01, cfg) is None


def test_bands_must_increase() -> None:
    with pytest.raises(ValueError, match="increasing"):
        Settings(travel_bands=[(300, 180), (100, 60)])
