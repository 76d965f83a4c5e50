"""Legs warehouse → site: distance, band and ETA, the warehouses as reachability sees them,
and the same as arrays over every warehouse for one site (what an answer reads).

Rules that always hold here:
- ETA = the warehouse's `handling_minutes` + the band minutes of the distance warehouse → site.
  The distance is the WGS-84 geodesic, except from "the hub": a warehouse standing at the
  hub's coordinates (its `hub_distance_km` ≤ `HUB_EPSILON_KM`, i.e. within 1 m). From the hub
  the distance is the site's `hub_distance_km` (its override when set). Bands compare the
  unrounded distance, edges inclusive.
- Single legs (`leg`) are cached per process keyed by their whole input (coordinates,
  override, handling minutes, band table), so they are never stale; the warehouse table
  (`load_stops`, `load_stop_table`) is kept while a one-row fingerprint of it is unchanged,
  checked on every call (so a warehouse written on another replica is seen at once);
  `find_site` reads the fingerprint in the same statement as the site it looks up.
- `Stops` is the warehouse table as arrays (ids, codes, coordinates, unit vectors, handling
  minutes, hub flags). `SiteLegs` holds, per warehouse position, the band index and ETA
  decided from a bracket of the geodesic (`geo.distance_bounds_km`, vectorised) wherever the
  bracket lies inside one band; the rest are `UNDECIDED` until `settle` computes their exact
  geodesic, once per site. The exact distance (for `distance_km` and "nearest first") is
  computed lazily too, once per (site, warehouse) and kept.
- Site legs are cached per process by the site's whole content (coordinates, hub distance),
  the band table and the warehouse fingerprint: a written site or warehouse can never be
  answered from a stale entry, on any replica. At most `SITES_CACHED` sites are kept (LRU).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Select, Subquery, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from inventory_service.platform.settings import get_settings
from inventory_service.reach.bands import band_minutes
from inventory_service.reach.geo import (
    distance_bounds_km,
    distance_km,
    radius_bounds,
    unit_vector,
)
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


_FINGERPRINT_WIDTH: Final = 7


@lru_cache(maxsize=4)
def _fingerprint(dialect: str) -> Subquery:
    """A cheap fingerprint of the warehouse table (one row): it changes with any warehouse."""
    codes = (
        func.group_concat(Warehouse.code)
        if dialect == "sqlite"
        else func.string_agg(Warehouse.code, ",")
    )
    return sa_select(
        func.count(),
        func.max(Warehouse.id),
        func.sum(Warehouse.handling_minutes),
        func.sum(Warehouse.lat),
        func.sum(Warehouse.lon),
        func.sum(Warehouse.hub_distance_km),
        codes,
    ).subquery("warehouses")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _stops_version(session: Session) -> tuple[object, ...]:
    return tuple(session.execute(sa_select(_fingerprint(_dialect(session)))).one())


_STOP_COLUMNS: Final = sa_select(
    col(Warehouse.id),
    col(Warehouse.code),
    col(Warehouse.lat),
    col(Warehouse.lon),
    col(Warehouse.handling_minutes),
    col(Warehouse.hub_distance_km),
)


def load_stops(session: Session) -> dict[int, Stop]:
    """Every warehouse by id; cached per process while the table's fingerprint holds."""
    global _stops_cache
    version = _stops_version(session)
    cached = _stops_cache
    if cached is not None and cached[0] == version:
        return cached[1]
    stops = {
        wid: Stop(wid, code, lat, lon, handling, hub_km <= HUB_EPSILON_KM)
        for wid, code, lat, lon, handling, hub_km in session.execute(_STOP_COLUMNS).all()
    }
    with _stops_lock:
        _stops_cache = (version, stops)
    return stops


# --- the same as arrays: every warehouse for one site --------------------------------------------

UNDECIDED: Final = -2  # the bracket straddles a band edge: exact geodesic needed
NONE: Final = -1  # beyond the last band (not covered)
SITES_CACHED: Final = 2048  # ~16 KB a site: ≤ 32 MB per worker

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Bands:
    """The band table: edges (km, ascending, inclusive) and their minutes."""

    edges: FloatArray
    minutes: tuple[int, ...]

    @classmethod
    def current(cls) -> Bands:
        cfg = get_settings()
        travel = tuple((float(km), int(minutes)) for km, minutes in cfg.travel_bands)
        key = (cfg.local_radius_km, cfg.local_band_minutes, travel)
        return _bands(key)

    def index(self, km: FloatArray) -> IntArray:
        """Band index per distance (len(minutes) beyond the last band)."""
        return np.searchsorted(self.edges, km, side="left").astype(np.int64)

    def minutes_of(self, index: int) -> int | None:
        return self.minutes[index] if index < len(self.minutes) else None


_bands_cache: dict[object, Bands] = {}


def _bands(key: tuple[float, int, tuple[tuple[float, int], ...]]) -> Bands:
    found = _bands_cache.get(key)
    if found is None:
        local_km, local_minutes, travel = key
        edges = [local_km] + [km for km, _ in travel if km > local_km]
        minutes = (local_minutes, *(m for km, m in travel if km > local_km))
        found = Bands(np.array(edges, dtype=np.float64), minutes)
        _bands_cache[key] = found
    return found


@dataclass(frozen=True)
class Stops:
    """Every warehouse, as arrays by position (ascending id)."""

    version: tuple[object, ...]
    ids: IntArray
    codes: tuple[str, ...]
    lat: FloatArray
    lon: FloatArray
    vectors: FloatArray  # (n, 3) unit vectors
    handling: IntArray
    is_hub: BoolArray
    position: IntArray  # warehouse id → position (-1: no such warehouse)

    @classmethod
    def build(
        cls, version: tuple[object, ...], rows: list[tuple[int, str, float, float, int, bool]]
    ) -> Stops:
        rows = sorted(rows)
        n = len(rows)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        position = np.full(int(ids.max()) + 1 if n else 1, -1, dtype=np.int64)
        position[ids] = np.arange(n, dtype=np.int64)
        vectors = np.array([unit_vector(r[2], r[3]) for r in rows], dtype=np.float64)
        return cls(
            version,
            ids,
            tuple(r[1] for r in rows),
            np.array([r[2] for r in rows], dtype=np.float64),
            np.array([r[3] for r in rows], dtype=np.float64),
            vectors.reshape(n, 3),
            np.array([r[4] for r in rows], dtype=np.int64),
            np.array([r[5] for r in rows], dtype=np.bool_),
            position,
        )

    def positions(self, warehouse_ids: IntArray) -> IntArray:
        return self.position[warehouse_ids]


class SiteLegs:
    """Band index, ETA and (lazily) exact distance of every warehouse for one site."""

    def __init__(self, lat: float, lon: float, hub_km: float, stops: Stops, bands: Bands) -> None:
        self.lat, self.lon, self.hub_km = lat, lon, hub_km
        self.stops, self.bands = stops, bands
        n = len(stops.ids)
        sx, sy, sz = unit_vector(lat, lon)
        dot = np.clip(stops.vectors @ np.array([sx, sy, sz]), -1.0, 1.0)
        theta = np.arccos(dot)
        r_low, r_high = radius_bounds(round(lat, 2))
        self.low_km: FloatArray = np.maximum(0.0, r_low * theta - 0.001)
        high_km = r_high * theta + 0.001
        self.exact_km: FloatArray = np.full(n, np.nan)
        hubs = stops.is_hub
        self.low_km[hubs] = hub_km
        high_km[hubs] = hub_km
        self.exact_km[hubs] = hub_km
        low_band, high_band = bands.index(self.low_km), bands.index(high_km)
        self.band: IntArray = np.where(low_band == high_band, low_band, UNDECIDED)
        self.eta: IntArray = self._etas(self.band, stops.handling)

    def _etas(self, band: IntArray, handling: IntArray) -> IntArray:
        """ETA per band index: NONE beyond the last band, UNDECIDED where not decided."""
        minutes = np.array(self.bands.minutes, dtype=np.int64)
        inside = (band >= 0) & (band < len(minutes))
        eta = handling + minutes[np.where(inside, band, 0)]
        return np.where(inside, eta, np.where(band == UNDECIDED, UNDECIDED, NONE))

    def exact(self, position: int) -> float:
        """The exact distance to the warehouse at `position` (computed once, then kept)."""
        km = self.exact_km[position]
        if np.isnan(km):
            stops = self.stops
            km = distance_km(
                float(stops.lat[position]), float(stops.lon[position]), self.lat, self.lon
            )
            self.exact_km[position] = km
        return float(km)

    def settle(self, positions: IntArray) -> None:
        """Decide the band of the given warehouses whose bracket straddles an edge."""
        open_ = positions[self.band[positions] == UNDECIDED]
        if not len(open_):
            return
        km = np.array([self.exact(int(p)) for p in open_], dtype=np.float64)
        band = self.bands.index(km)
        eta = self._etas(band, self.stops.handling[open_])
        self.band[open_] = band
        self.eta[open_] = eta

    def band_minutes(self, position: int) -> int | None:
        self.settle(np.array([position], dtype=np.int64))
        return self.bands.minutes_of(int(self.band[position]))

    def eta_minutes(self, position: int) -> int | None:
        self.settle(np.array([position], dtype=np.int64))
        eta = int(self.eta[position])
        return None if eta == NONE else eta


_sites: OrderedDict[tuple[object, ...], SiteLegs] = OrderedDict()
_sites_lock = threading.Lock()


def for_site(lat: float, lon: float, hub_km: float, stops: Stops) -> SiteLegs:
    """The site's legs (cached by the site's content, the band table and the warehouses)."""
    bands = Bands.current()
    key = (lat, lon, hub_km, id(bands), stops.version)
    with _sites_lock:
        found = _sites.get(key)
        if found is not None:
            _sites.move_to_end(key)
            return found
    made = SiteLegs(lat, lon, hub_km, stops, bands)
    with _sites_lock:
        _sites[key] = made
        while len(_sites) > SITES_CACHED:
            _sites.popitem(last=False)
    return made


def clear() -> None:
    """Forget every site's legs (tests that change the settings' band table use it)."""
    with _sites_lock:
        _sites.clear()


_table_cache: Stops | None = None


def load_stop_table(session: Session) -> Stops:
    """Every warehouse as arrays; rebuilt only when the table's fingerprint changes."""
    return _stop_table(session, _stops_version(session))


def _stop_table(session: Session, version: tuple[object, ...]) -> Stops:
    global _table_cache
    cached = _table_cache
    if cached is not None and cached.version == version:
        return cached
    rows = [
        (wid, code, lat, lon, handling, hub_km <= HUB_EPSILON_KM)
        for wid, code, lat, lon, handling, hub_km in session.execute(_STOP_COLUMNS).all()
    ]
    table = Stops.build(version, rows)
    with _stops_lock:
        _table_cache = table
    return table


def site_legs(session: Session, site: Site) -> SiteLegs:
    """Band, ETA and distance of every warehouse for the site (cached per site content)."""
    return for_site(site.lat, site.lon, site.hub_distance_km, load_stop_table(session))


@dataclass(frozen=True, slots=True)
class FoundSite:
    """A site found by its code, with the legs of every warehouse for it."""

    code: str
    customer_id: int
    legs: SiteLegs


@lru_cache(maxsize=4)
def _site_with_fingerprint(dialect: str) -> Select[*tuple[Any, ...]]:
    fingerprint = _fingerprint(dialect)
    return (
        sa_select(
            fingerprint,
            col(Site.code),
            col(Site.customer_id),
            col(Site.lat),
            col(Site.lon),
            col(Site.hub_distance_km),
        )
        .select_from(fingerprint)
        .outerjoin(Site, col(Site.code) == bindparam("code"))
    )


def find_site(session: Session, code: str) -> FoundSite | None:
    """The site with this code and its legs (None: no such site), in one statement with the
    warehouse table's fingerprint: an answer's first round trip, not two."""
    row = session.execute(_site_with_fingerprint(_dialect(session)), {"code": code}).one()
    version, (site_code, customer_id, lat, lon, hub_km) = (
        tuple(row[:_FINGERPRINT_WIDTH]),
        row[_FINGERPRINT_WIDTH:],
    )
    if site_code is None:
        return None
    stops = _stop_table(session, version)
    return FoundSite(site_code, customer_id, for_site(lat, lon, hub_km, stops))
