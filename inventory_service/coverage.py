"""Coverage: for every site × every part installed there, can a genuine replacement reach it.

Rules that always hold here:
- A pair (site, part P) is covered when some warehouse holds a genuine `available` unit of a
  part that may replace P (the catalogue's rule) with ETA ≤ the deadline — the same ETA as
  `reachability` (handling + band; the hub's distance is the site's `hub_distance_km`).
- Installed parts are the components of the site's devices that are not `retired`.
- Work is done per (warehouse, part) and per (site, warehouse), never with a query per pair:
  one grouped query for the stock, one for the installed parts. Bands are decided from the
  unit-sphere angle with radius bounds that bracket the WGS-84 geodesic
  (`geo.sphere_radius_bounds`); only a pair whose bracket straddles a band edge gets the
  exact geodesic (so edges stay exact and inclusive).
- The stocking plan is a greedy set cover, per part number: repeatedly add one unit of the
  gap's exact part at the warehouse that closes the most remaining gaps of that part (ties:
  warehouse code). Greedy is within a factor ln(n) of the fewest additions, not always the
  fewest. One unit per line is what the promise needs ("a replacement can reach"); pairs no
  warehouse could reach in time are listed as `uncoverable`.
- A customer caller sees only its own customer's sites. Queries never write.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from inventory_service import places
from inventory_service.auth import Caller
from inventory_service.geo import sphere_radius_bounds, unit_vector
from inventory_service.progress import Progress
from inventory_service.reachability import (
    AVAILABLE,
    SitePoint,
    Stop,
    deadline_or_default,
    leg,
    load_stops,
    part_set,
)
from inventory_service.settings import get_settings
from models import Component, Customer, Device, DeviceStatus, Part, Site, SpareUnit
from models.reachability import (
    CoverageRead,
    CoverageRow,
    CoverageUncoverable,
    StockingLine,
)


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
    """ETA of every warehouse for one site, exact at band edges, cheap elsewhere."""

    def __init__(self, stops: list[Stop]) -> None:
        cfg = get_settings()
        self.stops = stops
        self.vectors = [unit_vector(s.lat, s.lon) for s in stops]
        self.handling = [s.handling_minutes for s in stops]
        # Edges nearest last, with the band just inside each edge.
        edges = [(km, minutes) for km, minutes in reversed(cfg.travel_bands)]
        edges.append((cfg.local_radius_km, cfg.local_band_minutes))
        self.edges = edges

    def etas(self, site: SitePoint) -> list[int | None]:
        low, high = sphere_radius_bounds(site.lat)
        thresholds: list[float] = []
        inside: list[int | None] = [None]  # by even bisect position: band minutes
        for km, minutes in self.edges:
            # dot ≥ cos(km/high) ⇒ surely within km; dot < cos(km/low) ⇒ surely beyond.
            thresholds += [math.cos(min(km / low, math.pi)), math.cos(min(km / high, math.pi))]
            inside.append(minutes)
        sx, sy, sz = unit_vector(site.lat, site.lon)
        out: list[int | None] = []
        for i, (wx, wy, wz) in enumerate(self.vectors):
            stop = self.stops[i]
            pos = bisect_right(thresholds, sx * wx + sy * wy + sz * wz)
            if stop.is_hub or pos % 2:
                out.append(leg(site, stop).eta_minutes)
            else:
                band = inside[pos // 2]
                out.append(None if band is None else self.handling[i] + band)
        return out


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
    if actor.is_customer:
        stmt = stmt.where(col(Site.customer_id) == actor.customer_id)
    rows = session.execute(stmt.order_by(col(Site.code))).all()
    return [(sid, SitePoint(code, lat, lon, hub), cust) for sid, code, lat, lon, hub, cust in rows]


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
    result = Coverage(customer_code, deadline)
    site_ids = {sid for sid, _, _ in sites}
    installed: dict[int, dict[int, int]] = defaultdict(dict)
    for sid, pid, n in session.execute(
        sa_select(col(Device.site_id), col(Component.part_id), func.count())
        .join(Device, col(Device.id) == col(Component.device_id))
        .where(col(Device.status) != DeviceStatus.RETIRED.value)
        .group_by(col(Device.site_id), col(Component.part_id))
    ).all():
        if sid in site_ids:
            installed[sid][pid] = n
    stops = sorted(load_stops(session).values(), key=lambda s: s.code)
    index = {s.id: i for i, s in enumerate(stops)}
    stocked: dict[int, set[int]] = defaultdict(set)
    for pid, wid in session.execute(
        sa_select(col(SpareUnit.part_id), col(SpareUnit.warehouse_id))
        .where(col(SpareUnit.status) == AVAILABLE, col(SpareUnit.genuine).is_(True))
        .where(col(SpareUnit.warehouse_id).is_not(None))
        .group_by(col(SpareUnit.part_id), col(SpareUnit.warehouse_id))
    ).all():
        stocked[pid].add(index[wid])
    part_ids = {pid for parts in installed.values() for pid in parts}
    parts = {
        p.id: p
        for p in session.exec(sa_select(Part).where(col(Part.id).in_(part_ids))).scalars()  # type: ignore[call-overload]
    }
    sources: dict[int, frozenset[int]] = {}
    for pid, part in parts.items():
        allowed = part_set(session, part).allowed
        sources[pid] = frozenset().union(*(stocked.get(q, set()) for q in allowed))
    bander = _Bander(stops)
    gaps: dict[int, list[tuple[str, frozenset[int]]]] = defaultdict(list)
    with Progress("coverage", total=len(sites), enabled=progress) as bar:
        for sid, point, cust in sites:
            mine = installed.get(sid)
            if mine:
                etas = bander.etas(point)
                ranked = sorted(
                    (eta, i) for i, eta in enumerate(etas) if eta is not None and eta <= deadline
                )
                for pid in sorted(mine, key=lambda p: parts[p].part_number):
                    have = sources[pid]
                    best = next(((eta, i) for eta, i in ranked if i in have), None)
                    number = parts[pid].part_number
                    result.pairs.append(
                        Pair(
                            point.code,
                            cust,
                            number,
                            mine[pid],
                            best[0] if best else None,
                            stops[best[1]].code if best else None,
                        )
                    )
                    if best is None:
                        gaps[pid].append((point.code, frozenset(i for _, i in ranked)))
            bar.advance()
    for pid in sorted(gaps, key=lambda p: parts[p].part_number):
        _plan_part(result, stops, parts[pid].part_number, gaps[pid])
    return result


def _plan_part(
    result: Coverage, stops: list[Stop], number: str, gaps: list[tuple[str, frozenset[int]]]
) -> None:
    """Greedy set cover of one part's gap sites by warehouses that reach them in time."""
    open_sites = {code: within for code, within in gaps if within}
    result.uncoverable += [(code, number) for code, within in gaps if not within]
    while open_sites:
        reach: dict[int, list[str]] = defaultdict(list)
        for code, within in open_sites.items():
            for i in within:
                reach[i].append(code)
        i, closes = min(reach.items(), key=lambda kv: (-len(kv[1]), stops[kv[0]].code))
        result.plan.append(Addition(stops[i].code, number, 1, tuple(sorted(closes))))
        for code in closes:
            del open_sites[code]


def to_read(result: Coverage) -> CoverageRead:
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


def coverage(
    session: Session,
    *,
    actor: Caller,
    customer_code: str | None = None,
    deadline_minutes: int | None = None,
) -> CoverageRead:
    """`compute` in the API's shape."""
    return to_read(
        compute(
            session, actor=actor, customer_code=customer_code, deadline_minutes=deadline_minutes
        )
    )
