"""Legs warehouse → site: distance, band and ETA, and the warehouses as reachability sees them.

Rules that always hold here:
- ETA = the warehouse's `handling_minutes` + the band minutes of the distance warehouse → site.
  The distance is the WGS-84 geodesic, except from "the hub": a warehouse standing at the
  hub's coordinates (its `hub_distance_km` ≤ `HUB_EPSILON_KM`, i.e. within 1 m). From the hub
  the distance is the site's `hub_distance_km`. Bands compare the unrounded distance.
- Legs are cached per process keyed by their whole input (coordinates, override, handling
  minutes, band table), so they are never stale; the warehouse table is kept while a one-row
  fingerprint of it is unchanged, checked on every call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from inventory_service.platform.settings import get_settings
from inventory_service.reach.bands import band_minutes
from inventory_service.reach.geo import distance_bounds_km, distance_km
from models import Site, Warehouse

HUB_EPSILON_KM: Final = 0.001


@dataclass(frozen=True, slots=True)
class Stop:
    """A warehouse as reachability sees it."""

    id: int
    code: str
    lat: float
    lon: float
    handling_minutes: int
    is_hub: bool


@dataclass(frozen=True, slots=True)
class Leg:
    """Warehouse → site: unrounded distance, band (None: not covered) and ETA."""

    distance_km: float
    band_minutes: int | None
    eta_minutes: int | None


@dataclass(frozen=True, slots=True)
class SitePoint:
    code: str
    lat: float
    lon: float
    hub_distance_km: float


def _band_table() -> tuple[float, int, tuple[tuple[float, int], ...]]:
    cfg = get_settings()
    return cfg.local_radius_km, cfg.local_band_minutes, tuple(tuple(b) for b in cfg.travel_bands)  # type: ignore[misc]


@lru_cache(maxsize=500_000)
def _leg(
    site: tuple[float, float, float],
    stop: tuple[float, float, bool, int],
    bands: tuple[float, int, tuple[tuple[float, int], ...]],
) -> Leg:
    site_lat, site_lon, hub_km = site
    lat, lon, is_hub, handling = stop
    km = hub_km if is_hub else distance_km(lat, lon, site_lat, site_lon)
    band = band_minutes(km)
    return Leg(km, band, None if band is None else handling + band)


def leg(site: SitePoint, stop: Stop) -> Leg:
    """Distance, band and ETA from a warehouse to a site (cached per process by content)."""
    return _leg(
        (site.lat, site.lon, site.hub_distance_km),
        (stop.lat, stop.lon, stop.is_hub, stop.handling_minutes),
        _band_table(),
    )


@dataclass(frozen=True, slots=True)
class Reach:
    """Band and ETA of a warehouse for a site, with the distance bracketed (low ≤ d ≤ high)."""

    low_km: float
    high_km: float
    band_minutes: int | None
    eta_minutes: int | None


def quick_reach(site: SitePoint, stop: Stop) -> Reach:
    """Band and ETA without the geodesic when its bracket lies inside one band (exact else)."""
    if not stop.is_hub:
        low, high = distance_bounds_km(site.lat, site.lon, stop.lat, stop.lon)
        band = band_minutes(low)
        if band_minutes(high) == band:
            return Reach(low, high, band, None if band is None else stop.handling_minutes + band)
    exact = leg(site, stop)
    return Reach(exact.distance_km, exact.distance_km, exact.band_minutes, exact.eta_minutes)


def site_point(site: Site) -> SitePoint:
    return SitePoint(site.code, site.lat, site.lon, site.hub_distance_km)


_stops_cache: tuple[tuple[object, ...], dict[int, Stop]] | None = None
_stops_lock = threading.Lock()


def _stops_version(session: Session) -> tuple[object, ...]:
    """A cheap fingerprint of the warehouse table (one row): it changes with any warehouse."""
    codes = (
        func.group_concat(Warehouse.code)
        if session.get_bind().dialect.name == "sqlite"
        else func.string_agg(Warehouse.code, ",")
    )
    row = session.execute(
        sa_select(
            func.count(),
            func.max(Warehouse.id),
            func.sum(Warehouse.handling_minutes),
            func.sum(Warehouse.lat),
            func.sum(Warehouse.lon),
            func.sum(Warehouse.hub_distance_km),
            codes,
        )
    ).one()
    return tuple(row)


def load_stops(session: Session) -> dict[int, Stop]:
    """Every warehouse by id; cached per process while the table's fingerprint holds."""
    global _stops_cache
    version = _stops_version(session)
    cached = _stops_cache
    if cached is not None and cached[0] == version:
        return cached[1]
    stmt = sa_select(
        col(Warehouse.id),
        col(Warehouse.code),
        col(Warehouse.lat),
        col(Warehouse.lon),
        col(Warehouse.handling_minutes),
        col(Warehouse.hub_distance_km),
    )
    stops = {
        wid: Stop(wid, code, lat, lon, handling, hub_km <= HUB_EPSILON_KM)
        for wid, code, lat, lon, handling, hub_km in session.execute(stmt).all()
    }
    with _stops_lock:
        _stops_cache = (version, stops)
    return stops
