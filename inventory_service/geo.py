"""Distances on the WGS-84 ellipsoid. The only module that imports geopy."""

from __future__ import annotations

from functools import lru_cache

from geopy.distance import geodesic


@lru_cache(maxsize=200_000)
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in km between two points (unrounded)."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).km)
