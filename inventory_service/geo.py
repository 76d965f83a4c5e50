"""Distances on the WGS-84 ellipsoid. The only module that imports geopy."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

from geopy.distance import geodesic


@lru_cache(maxsize=200_000)
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in km between two points (unrounded)."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).km)


def destination(lat: float, lon: float, *, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point `km` along the geodesic from (lat, lon) at `bearing_deg` (tests, benchmarks)."""
    point = geodesic(kilometers=km).destination((lat, lon), bearing_deg)
    return float(point.latitude), float(point.longitude)


_A: Final = 6378.137  # WGS-84 semi-major axis, km
_E2: Final = 6.69437999014e-3  # WGS-84 first eccentricity squared
# Second-order terms of lines up to ~600 km and rounding, as a share of the distance.
_SAFETY: Final = 2e-4


def _radii(lat_deg: float) -> tuple[float, float]:
    """Meridional (M) and prime-vertical (N) radii of curvature at a latitude, km."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = math.sqrt(1 - _E2 * s2)
    return _A * (1 - _E2) / w**3, _A / w


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """The point on the unit sphere with the geodetic coordinates as spherical ones."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def sphere_radius_bounds(lat: float, *, reach_km: float = 600.0) -> tuple[float, float]:
    """Radii (low, high): for a line from `lat` of at most `reach_km`, with central angle θ of
    the unit vectors, low·θ ≤ geodesic ≤ high·θ (the radius of curvature lies between the
    smallest meridional and the largest prime-vertical radius along the line)."""
    span = math.degrees(reach_km / 6356.0) + 0.1
    lats = [max(-90.0, min(90.0, lat + k * span / 4)) for k in range(-4, 5)]
    low = min(_radii(x)[0] for x in lats)
    high = max(_radii(x)[1] for x in lats)
    return low * (1 - _SAFETY), high * (1 + _SAFETY)
