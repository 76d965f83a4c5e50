"""Geometry for the console's SVG: a map of Liaoning from the data's coordinates, and charts.

Nothing here draws text into markup: the templates do, with Jinja2's escaping; this module
only turns coordinates and counts into numbers the templates place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from inventory_service.assets.places import MapPoint
from inventory_service.platform.settings import Settings

KM_PER_DEGREE = 111.195  # mean length of a degree of latitude
WIDTH = 640.0
MARGIN_KM = 40.0


@dataclass(frozen=True)
class Dot:
    code: str
    name: str
    x: float
    y: float
    colour: str = "#5f6b7a"
    label: str = ""


@dataclass(frozen=True)
class Ring:
    x: float
    y: float
    r: float
    minutes: int


@dataclass
class MapView:
    """A projected map: width × height in pixels, the points and what is drawn over them."""

    width: float
    height: float
    sites: list[Dot]
    warehouses: list[Dot]
    rings: list[Ring] = field(default_factory=list)
    route: tuple[float, float, float, float] | None = None
    focus: Dot | None = None


class Projection:
    """Equirectangular around the points' mean latitude: good to a few km over a province."""

    def __init__(self, points: Sequence[MapPoint]) -> None:
        lats = [p.lat for p in points] or [41.0]
        lons = [p.lon for p in points] or [122.0]
        self.kx = KM_PER_DEGREE * math.cos(math.radians(sum(lats) / len(lats)))
        margin_lat, margin_lon = MARGIN_KM / KM_PER_DEGREE, MARGIN_KM / self.kx
        self.north, south = max(lats) + margin_lat, min(lats) - margin_lat
        self.west, east = min(lons) - margin_lon, max(lons) + margin_lon
        span_km = max((east - self.west) * self.kx, 1.0)
        self.px_per_km = WIDTH / span_km
        self.height = (self.north - south) * KM_PER_DEGREE * self.px_per_km

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon - self.west) * self.kx * self.px_per_km
        y = (self.north - lat) * KM_PER_DEGREE * self.px_per_km
        return round(x, 1), round(y, 1)

    def km(self, km: float) -> float:
        return round(km * self.px_per_km, 1)


def ring_distances(cfg: Settings, handling_minutes: int, deadline: int) -> list[tuple[float, int]]:
    """(distance ceiling km, band minutes) of the bands a unit at this warehouse makes in time."""
    bands = [(cfg.local_radius_km, cfg.local_band_minutes), *cfg.travel_bands]
    return [(km, minutes) for km, minutes in bands if minutes + handling_minutes <= deadline]


def build_map(
    sites: Sequence[MapPoint],
    warehouses: Sequence[MapPoint],
    *,
    colours: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    rings_for: Sequence[str] = (),
    cfg: Settings,
    deadline: int,
) -> MapView:
    """Sites (coloured by `colours`, default grey), warehouses, and band rings around some."""
    projection = Projection([*sites, *warehouses])
    colours = colours or {}
    labels = labels or {}
    site_dots = []
    for s in sites:
        x, y = projection.xy(s.lat, s.lon)
        site_dots.append(
            Dot(s.code, s.name, x, y, colours.get(s.code, "#5f6b7a"), labels.get(s.code, ""))
        )
    wh_dots, rings = [], []
    for w in warehouses:
        x, y = projection.xy(w.lat, w.lon)
        wh_dots.append(Dot(w.code, w.name, x, y, "#0b5394", w.code))
        if w.code in rings_for:
            for km, minutes in ring_distances(cfg, w.handling_minutes, deadline):
                rings.append(Ring(x, y, projection.km(km), minutes + w.handling_minutes))
    return MapView(WIDTH, round(projection.height, 1), site_dots, wh_dots, rings)


def with_route(view: MapView, site_code: str, warehouse_code: str | None) -> MapView:
    """The map with the site in focus and, when a unit was chosen, its road as a line."""
    site = next((d for d in view.sites if d.code == site_code), None)
    view.focus = site
    warehouse = next((d for d in view.warehouses if d.code == warehouse_code), None)
    if site is not None and warehouse is not None:
        view.route = (warehouse.x, warehouse.y, site.x, site.y)
    return view


def share_colour(share: float) -> str:
    """Red (nothing covered) through amber to green (all covered); dark enough on white."""
    if share >= 0.999:
        return "#1e7b34"
    if share >= 0.75:
        return "#7a8a00"
    if share >= 0.5:
        return "#b36b00"
    return "#b3261e"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float


def bars(counts: dict[str, int], *, width: float = 360.0, row: float = 22.0) -> list[Bar]:
    """Horizontal bars, largest first (the XLSX's 'replacements by part')."""
    top = max(counts.values(), default=0) or 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        Bar(label, value, i * row, round(width * value / top, 1))
        for i, (label, value) in enumerate(ordered)
    ]


@dataclass(frozen=True)
class Column:
    label: str
    within: int
    beyond: int
    x: float
    within_h: float
    beyond_h: float


def columns(
    buckets: Sequence[tuple[str, int, int]], *, height: float = 160.0, step: float = 64.0
) -> list[Column]:
    """Stacked columns of (label, within, beyond) (the XLSX's duration chart)."""
    top = max((a + b for _, a, b in buckets), default=0) or 1
    return [
        Column(
            label,
            a,
            b,
            i * step,
            round(height * a / top, 1),
            round(height * b / top, 1),
        )
        for i, (label, a, b) in enumerate(buckets)
    ]


def polyline(
    shares: Sequence[float | None], *, width: float = 420.0, height: float = 140.0
) -> list[tuple[float, float, float | None]]:
    """(x, y, share) of a 0–100 % line over the weeks (the XLSX's weekly share); gaps stay."""
    n = max(len(shares) - 1, 1)
    return [
        (round(width * i / n, 1), round(height * (1 - (s or 0.0)), 1), s)
        for i, s in enumerate(shares)
    ]
