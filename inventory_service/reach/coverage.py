"""Coverage: for every site × every part installed there, can a genuine replacement reach it.

Rules that always hold here:
- A pair (site, part P) is covered when some warehouse holds a genuine `available` unit of a
  part that may replace P (the catalogue's rule) with ETA ≤ the deadline — the same ETA as
  `reachability` (handling + band; the hub's distance is the site's `hub_distance_km`).
- Installed parts are the components of the site's devices that are not `retired`.
- Work is done per (warehouse, part) and per (site, warehouse), never with a query per pair:
  one query of `spare_count` for the stock, one for the installed parts. Bands are decided from the
  unit-sphere angle with radius bounds that bracket the WGS-84 geodesic
  (`geo.sphere_radius_bounds`); a pair whose bracket straddles a band edge gets the exact
  geodesic when it could decide an answer (it would be a pair's best, or a gap site's
  reach), so edges stay exact and inclusive.
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
from dataclasses import dataclass, field
from itertools import chain
from typing import Final

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from inventory_service import policy
from inventory_service.assets import places
from inventory_service.platform.auth import Caller
from inventory_service.platform.progress import Progress
from inventory_service.platform.settings import get_settings
from inventory_service.reach.considered import AVAILABLE
from inventory_service.reach.geo import radius_bounds, unit_vector
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


@dataclass(frozen=True, slots=True)
class Pair:
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


class _Bander:
    """ETAs of every warehouse for one site: cheap where the bracket of the geodesic lies inside
    one band, exact (resolved lazily, only when it could decide an answer) at band edges.

    The brackets of all warehouses are computed at once (numpy, element by element in the same
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

    def etas(self, site: SitePoint) -> tuple[list[int], list[int]]:
        """Per warehouse index: ETA (`NEVER` beyond the last band; optimistic where the
        position is odd: pending), and the bisect positions (even once settled)."""
        # Rounding the latitude moves it by at most 0.005°, inside the bounds' 0.1° margin.
        low, high = radius_bounds(round(site.lat, 2))
        thresholds: list[float] = []
        for km in self.edges:
            # dot ≥ cos(km/high) ⇒ surely within km; dot < cos(km/low) ⇒ surely beyond.
            thresholds += [math.cos(min(km / low, math.pi)), math.cos(min(km / high, math.pi))]
        sx, sy, sz = unit_vector(site.lat, site.lon)
        dots = sx * self.x + sy * self.y + sz * self.z
        found = np.searchsorted(np.array(thresholds), dots, side="right")
        etas: list[int] = self.table[self.rows, found].tolist()
        pos: list[int] = found.tolist()
        for i in self.hubs:
            etas[i] = self.resolve(site, i)
            pos[i] = 0
        return etas, pos

    def resolve(self, site: SitePoint, i: int) -> int:
        eta = leg(site, self.stops[i]).eta_minutes
        return NEVER if eta is None else eta


def _ranked(etas: list[int]) -> list[int]:
    """Warehouse indexes by ETA, then index (codes are sorted, so: by code)."""
    ranked: list[int] = np.argsort(np.array(etas, dtype=np.int64), kind="stable").tolist()
    return ranked


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


def _installed(session: Session, site_ids: set[int]) -> dict[int, dict[int, int]]:
    """Per site: installed part id → how many (components of devices not retired)."""
    installed: dict[int, dict[int, int]] = defaultdict(dict)
    for sid, pid, n in session.execute(
        sa_select(col(Device.site_id), col(Component.part_id), func.count())
        .join(Device, col(Device.id) == col(Component.device_id))
        .where(col(Device.status) != DeviceStatus.RETIRED.value)
        .group_by(col(Device.site_id), col(Component.part_id))
    ).all():
        if sid in site_ids:
            installed[sid][pid] = n
    return installed


def _sources(
    session: Session, stops: list[Stop], part_ids: set[int]
) -> tuple[dict[int, frozenset[int]], dict[int, str]]:
    """Per installed part: the warehouse indexes holding a genuine available unit of a part
    that may replace it (from `spare_count`, not the units), and its part number."""
    index = {s.id: i for i, s in enumerate(stops)}
    counts.apply(session)  # a writing session's own changes, not yet written
    table = SpareCount.__table__  # type: ignore[attr-defined]
    stocked: dict[int, set[int]] = defaultdict(set)
    for pid, wid in session.execute(
        sa_select(table.c.part_id, table.c.warehouse_id).where(
            table.c.status == AVAILABLE, table.c.genuine.is_(True), table.c.units > 0
        )
    ).all():
        stocked[pid].add(index[wid])
    parts = {
        p.id: p
        for p in session.exec(sa_select(Part).where(col(Part.id).in_(part_ids))).scalars()  # type: ignore[call-overload]
    }
    sources: dict[int, frozenset[int]] = {}
    for pid, part in parts.items():
        allowed = part_set(session, part).allowed
        sources[pid] = frozenset().union(*(stocked.get(q, set()) for q in allowed))
    return sources, {pid: part.part_number for pid, part in parts.items()}


@dataclass(slots=True)
class _Survey:
    """What every site's pairs are decided from."""

    result: Coverage
    stops: list[Stop]
    bander: _Bander
    sources: dict[int, frozenset[int]]
    numbers: dict[int, str]
    gaps: dict[int, list[tuple[str, frozenset[int]]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _site_pairs(survey: _Survey, point: SitePoint, customer: str, mine: dict[int, int]) -> None:
    """The pairs of one site (best warehouse per installed part) and its gaps."""
    deadline, bander = survey.result.deadline_minutes, survey.bander
    etas, pos = bander.etas(point)
    ranked = _ranked(etas)
    for pid in sorted(mine, key=survey.numbers.__getitem__):
        have = survey.sources[pid]
        while True:
            hit = next((i for i in ranked if i in have), None)
            if hit is None or not pos[hit] & 1 or etas[hit] > deadline:
                break
            # An edge case decides this answer: settle it with the geodesic.
            etas[hit], pos[hit] = bander.resolve(point, hit), 0
            ranked = _ranked(etas)
        reached = hit is not None and etas[hit] <= deadline
        survey.result.pairs.append(
            Pair(
                point.code,
                customer,
                survey.numbers[pid],
                mine[pid],
                etas[hit] if reached and hit is not None else None,
                survey.stops[hit].code if reached and hit is not None else None,
            )
        )
        if not reached:
            for i in ranked:
                if etas[i] > deadline:
                    break
                if pos[i] & 1:
                    etas[i], pos[i] = bander.resolve(point, i), 0
            ranked = _ranked(etas)
            within = frozenset(i for i in ranked if etas[i] <= deadline)
            survey.gaps[pid].append((point.code, within))


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
    survey = _Survey(Coverage(covers, deadline), stops, _Bander(stops), sources, numbers)
    with Progress("coverage", total=len(sites), enabled=progress) as bar:
        for sid, point, customer in sites:
            mine = installed.get(sid)
            if mine:
                _site_pairs(survey, point, customer, mine)
            bar.advance()
    for pid in sorted(survey.gaps, key=numbers.__getitem__):
        _plan_part(survey.result, stops, numbers[pid], survey.gaps[pid])
    return survey.result


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
