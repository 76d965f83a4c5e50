"""Distances on the WGS-84 ellipsoid. The only module that imports geopy."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
from geographiclib.geodesic import Geodesic  # type: ignore[import-untyped]
from geopy.distance import geodesic

# The same ellipsoid object geopy builds (in km), so the numbers are geopy's to the last bit.
_WGS84_KM: Final = Geodesic(6378.137, 1 / 298.257223563)


@lru_cache(maxsize=200_000)
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in km between two points (unrounded).

    geopy's `geodesic` is geographiclib's WGS-84 inverse; calling that directly with only the
    distance requested gives the same number at a third less cost.
    """
    return float(_WGS84_KM.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"])


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


@lru_cache(maxsize=50_000)
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


@lru_cache(maxsize=4096)
def radius_bounds(lat: float) -> tuple[float, float]:
    """`sphere_radius_bounds`, cached (callers round the latitude to 0.01°: inside its margin)."""
    return sphere_radius_bounds(lat)


def distance_bounds_km(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """(low, high) bracketing the geodesic distance, at a fraction of its cost (≤ 600 km)."""
    x1, y1, z1 = unit_vector(lat1, lon1)
    x2, y2, z2 = unit_vector(lat2, lon2)
    dot = max(-1.0, min(1.0, x1 * x2 + y1 * y2 + z1 * z2))
    theta = math.acos(dot)
    low, high = radius_bounds(round(lat1, 2))
    # acos near 1 loses ~1e-8 rad (under 0.1 m): 1 m absolute margin on both ends.
    return max(0.0, low * theta - 0.001), high * theta + 0.001


FloatArray = npt.NDArray[np.float64]
_F: Final = 1 / 298.257223563  # WGS-84 flattening
_B: Final = _A * (1 - _F)  # semi-minor axis, km
# Vincenty's inverse is within 0.5 mm of the geodesic for lines that are not nearly antipodal
# (Vincenty 1975; Karney 2013, §1): a band decided from it with a 1 cm margin on both sides
# is the geodesic's band. Closer to an edge than that, callers take `distance_km`.
VINCENTY_MARGIN_KM: Final = 1e-5


def vincenty_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Vincenty's inverse on WGS-84, element by element over arrays (km; lines ≤ 1,000 km).

    A fast stand-in for the geodesic where a margin of `VINCENTY_MARGIN_KM` is kept."""
    u1 = np.arctan((1 - _F) * np.tan(np.radians(lat1)))
    u2 = np.arctan((1 - _F) * np.tan(np.radians(lat2)))
    su1, cu1, su2, cu2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    big_l = np.radians(lon2 - lon1)
    lam = big_l.copy()
    sin_s = cos_s = sigma = cos2_alpha = cos_2sm = np.zeros_like(lam)
    for _ in range(100):
        sl, cl = np.sin(lam), np.cos(lam)
        sin_s = np.hypot(cu2 * sl, cu1 * su2 - su1 * cu2 * cl)
        cos_s = su1 * su2 + cu1 * cu2 * cl
        sigma = np.arctan2(sin_s, cos_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            sin_alpha = np.where(sin_s == 0, 0.0, cu1 * cu2 * sl / sin_s)
            cos2_alpha = 1 - sin_alpha**2
            cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_s - 2 * su1 * su2 / cos2_alpha)
        c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
        before = lam
        lam = big_l + (1 - c) * _F * sin_alpha * (
            sigma + c * sin_s * (cos_2sm + c * cos_s * (-1 + 2 * cos_2sm**2))
        )
        if np.all(np.abs(lam - before) < 1e-13):
            break
    u_sq = cos2_alpha * (_A**2 - _B**2) / _B**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta = (
        big_b
        * sin_s
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_s * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_s**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return np.asarray(_B * big_a * (sigma - delta), dtype=np.float64)
