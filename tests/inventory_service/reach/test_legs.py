"""Legs as arrays: equal to the exact leg of every (site, warehouse) pair, kept per site and
never stale after a site or warehouse is written (here or on another replica)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from inventory_service.platform.db import Database
from inventory_service.reach import legs, reachability
from inventory_service.reach.geo import destination, distance_km
from inventory_service.reach.legs import SitePoint, Stop, leg
from tests import factories

HUB = (41.8057, 123.4315)


def _stops(points: list[tuple[float, float, int]]) -> legs.Stops:
    rows = [
        (i + 1, f"W{i}", lat, lon, handling, distance_km(*HUB, lat, lon) <= 0.001)
        for i, (lat, lon, handling) in enumerate(points)
    ]
    return legs.Stops.build(("test", len(rows)), rows)


lats = st.floats(38.7, 43.5)
lons = st.floats(118.8, 125.8)


@settings(max_examples=40, deadline=None)
@given(
    site=st.tuples(lats, lons),
    warehouses=st.lists(
        st.tuples(lats, lons, st.sampled_from([0, 10, 15, 30])), min_size=1, max_size=30
    ),
    override=st.none() | st.floats(0, 700),
)
def test_every_pair_equals_the_exact_leg(
    site: tuple[float, float],
    warehouses: list[tuple[float, float, int]],
    override: float | None,
) -> None:
    points = [(*HUB, 0), *warehouses]  # the hub is always one of them
    stops = _stops(points)
    hub_km = override if override is not None else distance_km(*HUB, *site)
    site_legs = legs.SiteLegs(site[0], site[1], hub_km, stops, legs.Bands.current())
    site_legs.settle(np.arange(len(points), dtype=np.int64))
    point = SitePoint("S", site[0], site[1], hub_km)
    for pos, (lat, lon, handling) in enumerate(points):
        exact = leg(point, Stop(pos + 1, f"W{pos}", lat, lon, handling, stops.is_hub[pos]))
        assert site_legs.low_km[pos] <= exact.distance_km
        assert site_legs.exact(pos) == exact.distance_km
        assert site_legs.band_minutes(pos) == exact.band_minutes
        assert site_legs.eta_minutes(pos) == exact.eta_minutes


def test_band_edges_are_decided_on_the_geodesic() -> None:
    depot = (40.0, 122.0)
    points = [(*depot, 5)]
    stops = _stops(points)
    for km, band in ((24.999, 30), (25.001, 60), (99.999, 60), (100.001, 180), (500.01, None)):
        lat, lon = destination(*depot, bearing_deg=37.0, km=km)
        site_legs = legs.SiteLegs(
            lat, lon, distance_km(*HUB, lat, lon), stops, legs.Bands.current()
        )
        assert site_legs.band_minutes(0) == band, km
        assert site_legs.eta_minutes(0) == (None if band is None else band + 5)


def _answer(db: Database) -> tuple[str | None, int | None, float | None]:
    with db.transaction(write=False) as session:
        a = reachability.availability(
            session, actor=factories.ACTOR, site_code="SY-CORE", part_number="PSU-750W"
        )
    best = a.best
    return (
        (None, None, None)
        if best is None
        else (best.warehouse_code, best.eta_minutes, best.distance_km)
    )


def test_a_warehouse_or_site_written_elsewhere_is_seen_at_the_next_answer(db: Database) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-CORE")
        factories.warehouse(session, "WH-AS", lat=41.1087, lon=122.9946, handling_minutes=10)
        factories.part(session, "PSU-750W")
        factories.spare(session, "U1", warehouse_code="WH-AS")
    first = _answer(db)
    assert first[:2] == ("WH-AS", 70)  # 85.6 km: the 60-minute band + 10 handling
    # Another replica moves the warehouse next door (raw SQL: this process is not told).
    with db.transaction() as session:
        session.execute(
            text("UPDATE warehouse SET lat = 41.80, lon = 123.43, handling_minutes = 0")
        )
    moved = _answer(db)
    assert moved[:2] == ("WH-AS", 30)
    assert moved[2] is not None
    assert moved[2] < 1
    # ... and then the site far away.
    with db.transaction() as session:
        session.execute(text("UPDATE site SET lat = 39.0, lon = 121.7, hub_distance_km = 340"))
    far = _answer(db)
    assert far == (None, None, None)
