"""Coverage: for every site × every part installed there, can a genuine replacement reach it.

Rules that always hold here:
- A pair (site, part P) is covered when some warehouse holds a genuine `available` unit of a
  part that may replace P (the catalogue's rule) with ETA ≤ the deadline — the same ETA as
  `reachability` (handling + band; the hub's distance is the site's `hub_distance_km`).
- Installed parts are the components of the site's devices that are not `retired`.
- Work is done per (warehouse, part) and per (site, warehouse), never with a query per pair:
  one query of `spare_count` for the stock, one for the installed parts. Bands are decided from the
  unit-sphere angle with radius bounds that bracket the WGS-84 geodesic
  (`geo.sphere_radius_bounds`); a pair whose bracket straddles a band edge (~0.8 % of pairs)
  gets Vincenty's distance (vectorised, within 0.5 mm of the geodesic), and the geodesic
  itself when Vincenty's lies within `geo.VINCENTY_MARGIN_KM` (1 cm) of an edge, so every
  band is the geodesic's: edges stay exact and inclusive.
- Every site's ETAs are one row of a (sites × warehouses) matrix; a pair's best is the
  smallest ETA among the warehouses that hold a fitting unit, ties to the first warehouse
  code, looked up among the site's nearest warehouses first.
- The stocking plan is a greedy set cover, per part number: repeatedly add one unit of the
  gap's exact part at the warehouse that closes the most remaining gaps of that part (ties:
  warehouse code). Greedy is within a factor ln(n) of the fewest additions, not always the
  fewest. One unit per line is what the promise needs ("a replacement can reach"); pairs no
  warehouse could reach in time are listed as `uncoverable`.
- A customer caller sees only its own customer's sites. Queries never write.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service import policy
from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.bulk import gc_paused
from inventory_service.platform.db import integer_rows
from inventory_service.platform.progress import Progress
from inventory_service.platform.settings import get_settings
from inventory_service.reach.bands import band_minutes
from inventory_service.reach.considered import AVAILABLE
from inventory_service.reach.geo import VINCENTY_MARGIN_KM, radius_bounds, unit_vector, vincenty_km
from inventory_service.reach.legs import SitePoint, Stop, leg, load_stops
from inventory_service.reach.part_sets import part_set
from inventory_service.reach.reachability import deadline_or_default
from inventory_service.warehouse import counts
from models import Component, Customer, Device, DeviceStatus, Part, Site, SpareCount
from models.reachability import (
    CoverageRead,
    CoverageRow,
    CoverageUncoverable,
    StockingLine,
)

NEVER: Final = 10**9  # the ETA of a warehouse beyond the last band
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Pair(NamedTuple):
    """One site × installed part (a named tuple: a coverage holds ~260,000 of them)."""

    site_code: str
    customer_code: str
    part_number: str
    installed: int
    best_eta_minutes: int | None
    best_warehouse_code: str | None

    @property
    def reachable(self) -> bool:
        return self.best_eta_minutes is not None


@dataclass(frozen=True, slots=True)
class Addition:
    warehouse_code: str
    part_number: str
    quantity: int
    site_codes: tuple[str, ...]


@dataclass(slots=True)
class Coverage:
    customer_code: str | None
    deadline_minutes: int
    pairs: list[Pair] = field(default_factory=list)
    plan: list[Addition] = field(default_factory=list)
    uncoverable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return sum(1 for p in self.pairs if p.reachable)

    @property
    def share_covered(self) -> float:
        return self.covered / len(self.pairs) if self.pairs else 1.0


_BLOCK: Final = 1024  # sites per block of the ETA matrix (~4 MB of dot products)


@lru_cache(maxsize=8192)
def _thresholds(lat: float, edges: tuple[float, ...]) -> tuple[float, ...]:
    low, high = radius_bounds(lat)
    thresholds: list[float] = []
    for km in edges:
        # dot ≥ cos(km/high) ⇒ surely within km; dot < cos(km/low) ⇒ surely beyond.
        thresholds += [math.cos(min(km / low, math.pi)), math.cos(min(km / high, math.pi))]
    return tuple(thresholds)


class _Bander:
    """ETAs of every warehouse for many sites: cheap where the bracket of the geodesic lies
    inside one band, settled (`settle`: Vincenty, the geodesic at an edge) where it straddles.

    The brackets are computed a block of sites at a time (numpy, element by element in the same
    order of operations as `geo.distance_bounds_km`, so the same floats), the ETAs read from a
    table by each warehouse's bisect position."""

    def __init__(self, stops: list[Stop]) -> None:
        cfg = get_settings()
        self.stops = stops
        vectors = np.array([unit_vector(s.lat, s.lon) for s in stops], dtype=np.float64)
        self.x, self.y, self.z = (
            np.ascontiguousarray(vectors.reshape(-1, 3)[:, k]) for k in range(3)
        )
        self.hubs = [i for i, s in enumerate(stops) if s.is_hub]
        self.lat = np.array([s.lat for s in stops], dtype=np.float64)
        self.lon = np.array([s.lon for s in stops], dtype=np.float64)
        # Edges farthest first; bisect position 2k is surely inside edge k (band k), an odd
        # position straddles an edge. Each warehouse's ETA per position, optimistic when odd.
        edges = [*reversed(cfg.travel_bands), (cfg.local_radius_km, cfg.local_band_minutes)]
        self.edges = [km for km, _ in edges]
        bands: list[int | None] = [None]
        for _, minutes in edges:
            bands += [minutes, minutes]
        self.table = np.array(
            [[NEVER if b is None else s.handling_minutes + b for b in bands] for s in stops],
            dtype=np.int64,
        ).reshape(len(stops), len(bands))
        self.rows = np.arange(len(stops))

    def etas(self, sites: list[SitePoint]) -> tuple[IntArray, IntArray]:
        """Per site (rows) and warehouse index (columns): ETA (`NEVER` beyond the last band;
        optimistic where the position is odd: pending), and the bisect positions (even once
        settled). Callers pass a block of sites (`_BLOCK`): memory grows with it."""
        vectors = np.array([unit_vector(s.lat, s.lon) for s in sites], dtype=np.float64)
        sx, sy, sz = (vectors.reshape(-1, 3)[:, k : k + 1] for k in range(3))
        dots = sx * self.x + sy * self.y + sz * self.z
        # The bisect position in each site's ascending thresholds (searchsorted, right).
        thresholds = np.array([self.thresholds(s.lat) for s in sites], dtype=np.float64)
        pos = np.zeros(dots.shape, dtype=np.int64)
        for k in range(thresholds.shape[1] if len(sites) else 0):
            pos += dots >= thresholds[:, k : k + 1]
        etas = self.table[self.rows, pos]
        for i in self.hubs:
            etas[:, i] = [self.resolve(site, i) for site in sites]
            pos[:, i] = 0
        return etas, pos

    def thresholds(self, lat: float) -> tuple[float, ...]:
        """The cosines of the edges' brackets for a site's latitude, ascending."""
        # Rounding the latitude moves it by at most 0.005°, inside the bounds' 0.1° margin.
        return _thresholds(round(lat, 2), tuple(self.edges))

    def settle(self, sites: list[SitePoint], etas: IntArray, pos: IntArray) -> None:
        """Settle every pending (site row, warehouse) of these matrices: the band of Vincenty's
        distance where it holds with `VINCENTY_MARGIN_KM` on both sides, else the geodesic's."""
        rows, cols = np.nonzero(pos & 1)
        if not len(rows):
            return
        lat = np.array([s.lat for s in sites], dtype=np.float64)
        lon = np.array([s.lon for s in sites], dtype=np.float64)
        km = vincenty_km(self.lat[cols], self.lon[cols], lat[rows], lon[rows])
        for r, c, d in zip(rows.tolist(), cols.tolist(), km.tolist(), strict=True):
            band = band_minutes(d - VINCENTY_MARGIN_KM)
            if band == band_minutes(d + VINCENTY_MARGIN_KM):
                etas[r, c] = NEVER if band is None else self.stops[c].handling_minutes + band
            else:
                etas[r, c] = self.resolve(sites[r], c)
        pos[rows, cols] = 0

    def resolve(self, site: SitePoint, i: int) -> int:
        eta = leg(site, self.stops[i]).eta_minutes
        return NEVER if eta is None else eta


def _sites(
    session: Session, actor: Caller, customer_code: str | None
) -> list[tuple[int, SitePoint, str]]:
    stmt = sa_select(
        col(Site.id),
        col(Site.code),
        col(Site.lat),
        col(Site.lon),
        col(Site.hub_distance_km),
        col(Customer.code),
    ).join(Customer, col(Customer.id) == col(Site.customer_id))
    if customer_code is not None:
        customer = places.get_customer(session, actor=actor, code=customer_code)
        stmt = stmt.where(col(Site.customer_id) == customer.id)
    stmt = policy.scope(stmt, actor, col(Site.customer_id))
    rows = session.execute(stmt.order_by(col(Site.code))).all()
    return [(sid, SitePoint(code, lat, lon, hub), cust) for sid, code, lat, lon, hub, cust in rows]


_INSTALLED: Final = (
    sa_select(col(Device.site_id), col(Component.part_id))
    .join(Device, col(Device.id) == col(Component.device_id))
    .where(col(Device.status) != DeviceStatus.RETIRED.value)
)


def _installed(session: Session, site_ids: set[int]) -> dict[int, dict[int, int]]:
    """Per site: installed part id → how many (components of devices not retired), counted
    here (numpy): PostgreSQL's GROUP BY of 300,000 components spilled to disk at default
    `work_mem` and cost twice the fetch."""
    rows = integer_rows(session, _INSTALLED)
    if not len(rows):
        return {}
    width = int(rows[:, 1].max()) + 1  # ids are 32-bit: site × width stays inside int64
    keys, counted = np.unique(rows[:, 0] * width + rows[:, 1], return_counts=True)
    sites, parts = keys // width, keys % width  # sorted by site, then part
    firsts, starts = np.unique(sites, return_index=True)
    bounds = [*starts.tolist()[1:], len(keys)]
    return {
        sid: dict(zip(parts[start:end].tolist(), counted[start:end].tolist(), strict=True))
        for sid, start, end in zip(firsts.tolist(), starts.tolist(), bounds, strict=True)
        if sid in site_ids
    }


def _sources(
    session: Session, stops: list[Stop], part_ids: set[int]
) -> tuple[dict[int, BoolArray], dict[int, str]]:
    """Per installed part: which warehouses (a mask by index) hold a genuine available unit of
    a part that may replace it (from `spare_count`, not the units), and its part number."""
    index = {s.id: i for i, s in enumerate(stops)}
    counts.apply(session)  # a writing session's own changes, not yet written
    table = SpareCount.__table__  # type: ignore[attr-defined]
    stocked: dict[int, list[int]] = defaultdict(list)
    for pid, wid in session.execute(
        sa_select(table.c.part_id, table.c.warehouse_id).where(
            table.c.status == AVAILABLE, table.c.genuine.is_(True), table.c.units > 0
        )
    ).all():
        stocked[pid].append(index[wid])
    parts = {
        p.id: p
        for p in session.exec(sa_select(Part).where(col(Part.id).in_(part_ids))).scalars()  # type: ignore[call-overload]
    }
    sources: dict[int, BoolArray] = {}
    for pid, part in parts.items():
        mask = np.zeros(len(stops), dtype=np.bool_)
        for q in part_set(session, part).allowed:
            mask[stocked.get(q, [])] = True
        sources[pid] = mask
    return sources, {pid: part.part_number for pid, part in parts.items()}


@dataclass(slots=True)
class _Survey:
    """What every site's pairs are decided from."""

    result: Coverage
    stops: list[Stop]
    sources: BoolArray  # rows: installed parts (`source_row`), columns: warehouses
    source_row: dict[int, int]
    numbers: dict[int, str]
    gaps: dict[int, list[tuple[str, frozenset[int]]]] = field(
        default_factory=lambda: defaultdict(list)
    )


_NO_SOURCE: Final = NEVER + 1  # the ETA of a warehouse without a unit that fits
_NEAREST: Final = 16  # warehouses per site looked at first for each installed part


def _best(
    sources: BoolArray, etas: IntArray, site_rows: IntArray, part_rows: IntArray
) -> tuple[list[int], list[int]]:
    """Per (site row, part row): the smallest ETA among the warehouses holding a unit that fits
    (`_NO_SOURCE` when none does) and that warehouse's index, ties to the first index (code
    order). Each site's `_NEAREST` warehouses are looked at first; only a pair that none of
    them serves is looked at in full."""
    sites, width = etas.shape
    if width == 0:
        return [_NO_SOURCE] * len(site_rows), [0] * len(site_rows)
    k = min(_NEAREST, width)
    keys = etas * width + np.arange(width)  # distinct in a row, ordered as (ETA, index)
    near = np.argpartition(keys, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(near, np.argsort(np.take_along_axis(keys, near, 1), axis=1), 1)
    offered = near[site_rows]
    fits = sources[part_rows[:, None], offered]
    every = np.arange(len(site_rows))
    first = fits.argmax(axis=1)
    hit = offered[every, first]
    best = etas[site_rows, hit]
    for j in np.flatnonzero(~fits[every, first]).tolist():
        row = np.where(sources[part_rows[j]], etas[site_rows[j]], _NO_SOURCE)
        hit[j] = row.argmin()
        best[j] = row[hit[j]]
    return best.tolist(), hit.tolist()


def _site_pairs(
    survey: _Survey,
    point: SitePoint,
    customer: str,
    mine: dict[int, int],
    decided: Iterator[tuple[int, int, int]],
    etas: IntArray,
) -> None:
    """The pairs of one site and its gaps, from each installed part's (part, best ETA,
    warehouse) in part number order."""
    deadline = survey.result.deadline_minutes
    numbers, stops, pairs, code = survey.numbers, survey.stops, survey.result.pairs, point.code
    within: frozenset[int] | None = None
    for pid, eta, hit in decided:
        if eta <= deadline:
            pairs.append(Pair(code, customer, numbers[pid], mine[pid], eta, stops[hit].code))
            continue
        pairs.append(Pair(code, customer, numbers[pid], mine[pid], None, None))
        if within is None:
            within = frozenset(np.flatnonzero(etas <= deadline).tolist())
        survey.gaps[pid].append((code, within))


def compute(
    session: Session,
    *,
    actor: Caller,
    customer_code: str | None = None,
    deadline_minutes: int | None = None,
    progress: bool = False,
) -> Coverage:
    """Coverage of every site × installed part, the gaps and a stocking plan closing them."""
    deadline = deadline_or_default(deadline_minutes)
    sites = _sites(session, actor, customer_code)
    installed = _installed(session, {sid for sid, _, _ in sites})
    stops = sorted(load_stops(session).values(), key=lambda s: s.code)
    part_ids = {pid for parts in installed.values() for pid in parts}
    sources, numbers = _sources(session, stops, part_ids)
    # A customer's answer covers its own sites only, and says so.
    covers = actor.customer_code if actor.is_customer else customer_code
    rows = {pid: row for row, pid in enumerate(sources)}
    matrix = np.array([sources[pid] for pid in rows], dtype=np.bool_).reshape(len(rows), len(stops))
    survey = _Survey(Coverage(covers, deadline), stops, matrix, rows, numbers)
    surveyed = [
        (point, customer, installed[sid]) for sid, point, customer in sites if installed.get(sid)
    ]
    with gc_paused():  # ~260,000 pairs: acyclic, long-lived
        _survey(survey, surveyed, progress)
    return survey.result


def _survey(
    survey: _Survey,
    surveyed: list[tuple[SitePoint, str, dict[int, int]]],
    progress: bool,
) -> None:
    """Every site's pairs, its gaps and the stocking plan, a block of sites at a time (the
    ETA matrix of a block is ~4 MB, however many sites there are)."""
    numbers, stops, bander = survey.numbers, survey.stops, _Bander(survey.stops)
    with Progress("coverage", total=len(surveyed), enabled=progress) as bar:
        for start in range(0, len(surveyed), _BLOCK):
            block = surveyed[start : start + _BLOCK]
            points = [point for point, _, _ in block]
            etas, pos = bander.etas(points)
            bander.settle(points, etas, pos)
            ordered = [sorted(mine, key=numbers.__getitem__) for _, _, mine in block]
            best, hits = _best(
                survey.sources,
                etas,
                np.repeat(np.arange(len(ordered)), [len(pids) for pids in ordered]),
                np.array([survey.source_row[p] for pids in ordered for p in pids], dtype=np.int64),
            )
            decided = zip(chain.from_iterable(ordered), best, hits, strict=True)
            for row, (point, customer, mine) in enumerate(block):
                mine_decided = islice(decided, len(ordered[row]))
                _site_pairs(survey, point, customer, mine, mine_decided, etas[row])
                bar.advance()
    for pid in sorted(survey.gaps, key=numbers.__getitem__):
        _plan_part(survey.result, stops, numbers[pid], survey.gaps[pid])


def _plan_part(
    result: Coverage, stops: list[Stop], number: str, gaps: list[tuple[str, frozenset[int]]]
) -> None:
    """Greedy set cover of one part's gap sites by warehouses that reach them in time."""
    open_sites = {code: within for code, within in gaps if within}
    result.uncoverable += [(code, number) for code, within in gaps if not within]
    while open_sites:
        # Counted in C (Counter over the chained sets): how many open sites each warehouse reaches.
        reach = Counter(chain.from_iterable(open_sites.values()))
        i, _ = min(reach.items(), key=lambda kv: (-kv[1], stops[kv[0]].code))
        closes = sorted(code for code, within in open_sites.items() if i in within)
        result.plan.append(Addition(stops[i].code, number, 1, tuple(closes)))
        for code in closes:
            del open_sites[code]


def _as_read(result: Coverage) -> CoverageRead:
    """The API's shape of a coverage result."""
    rows = [
        CoverageRow(
            site_code=p.site_code,
            customer_code=p.customer_code,
            part_number=p.part_number,
            installed=p.installed,
            reachable=p.reachable,
            best_eta_minutes=p.best_eta_minutes,
            best_warehouse_code=p.best_warehouse_code,
        )
        for p in result.pairs
    ]
    return CoverageRead(
        customer_code=result.customer_code,
        deadline_minutes=result.deadline_minutes,
        pairs=len(result.pairs),
        covered=result.covered,
        share_covered=result.share_covered,
        rows=rows,
        gaps=[r for r in rows if not r.reachable],
        stocking_plan=[
            StockingLine(
                warehouse_code=a.warehouse_code,
                part_number=a.part_number,
                quantity=a.quantity,
                closes=len(a.site_codes),
                site_codes=list(a.site_codes),
            )
            for a in result.plan
        ],
        uncoverable=[
            CoverageUncoverable(site_code=s, part_number=p) for s, p in result.uncoverable
        ],
    )


def read(
    session: Session,
    *,
    actor: Caller,
    customer_code: str | None = None,
    deadline_minutes: int | None = None,
) -> CoverageRead:
    """`compute` in the API's shape."""
    return _as_read(
        compute(
            session, actor=actor, customer_code=customer_code, deadline_minutes=deadline_minutes
        )
    )
