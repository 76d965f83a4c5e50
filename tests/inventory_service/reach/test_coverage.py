"""Coverage and the stocking plan on a small hand-checked Liaoning example."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import NotFound
from inventory_service.reach import coverage, reachability
from inventory_service.reach.geo import destination
from inventory_service.reach.legs import SitePoint, Stop, leg
from inventory_service.warehouse import catalogue
from models import Role
from models.part import AlternateCreate
from tests import factories


@pytest.fixture
def network(db: Database) -> Database:
    """Hand-checked: km from WH-SY (hub) / WH-DL (Dalian depot, +15 min handling).

    SHE-01 0 / 356 · DAL-01 356 / ~1 · DAN-01 203 / 274 · CHA-01 250 / 311 · BJ-01 629 / 463.
    """
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        for code, lat, lon, customer in (
            ("SHE-01", 41.8057, 123.4315, "LNXX"),
            ("DAL-01", 38.9140, 121.6147, "LNXX"),
            ("DAN-01", 40.1290, 124.3947, "LNXX"),
            ("CHA-01", 41.5718, 120.4508, "LNXX"),
            ("BJ-01", 39.9042, 116.4074, "LNGRID"),
        ):
            factories.site(session, code, lat=lat, lon=lon, customer_code=customer)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "FAN-1", category="server_fan", specs={"rpm": 9000})
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL", lat=38.92, lon=121.63, kind="depot",
                            handling_minutes=15)  # fmt: skip
        for n, (site, part) in enumerate(
            [
                ("SHE-01", "PSU-750W"),
                ("SHE-01", "FAN-1"),
                ("DAL-01", "PSU-750W"),
                ("DAL-01", "FAN-1"),
                ("DAN-01", "PSU-750W"),
                ("CHA-01", "FAN-1"),
                ("BJ-01", "PSU-750W"),
                ("BJ-01", "PSU-750W"),
            ]
        ):
            factories.installed_part(session, site_code=site, part_number=part, serial=f"C{n}")
        factories.spare(session, "SUB", part_number="PSU-1100W")  # a substitute at the hub
        factories.spare(session, "FAKE-FAN", part_number="FAN-1", genuine=False)
    return db


def test_coverage_pairs_gaps_and_the_greedy_stocking_plan(network: Database) -> None:
    with network.transaction(write=False) as session:
        result = coverage.compute(session, actor=factories.ACTOR)
    pairs = {(p.site_code, p.part_number): (p.best_eta_minutes, p.best_warehouse_code)
             for p in result.pairs}  # fmt: skip
    assert pairs == {
        ("BJ-01", "PSU-750W"): (None, None),
        ("CHA-01", "FAN-1"): (None, None),
        ("DAL-01", "FAN-1"): (None, None),
        ("DAL-01", "PSU-750W"): (None, None),
        ("DAN-01", "PSU-750W"): (180, "WH-SY"),
        ("SHE-01", "FAN-1"): (None, None),
        ("SHE-01", "PSU-750W"): (30, "WH-SY"),
    }
    assert [p.installed for p in result.pairs if p.site_code == "BJ-01"] == [2]
    assert (result.covered, len(result.pairs)) == (2, 7)
    assert result.share_covered == pytest.approx(2 / 7)
    assert [(a.warehouse_code, a.part_number, a.quantity, a.site_codes) for a in result.plan] == [
        ("WH-SY", "FAN-1", 1, ("CHA-01", "SHE-01")),
        ("WH-DL", "FAN-1", 1, ("DAL-01",)),
        ("WH-DL", "PSU-750W", 1, ("DAL-01",)),
    ]
    assert result.uncoverable == [("BJ-01", "PSU-750W")]


def test_following_the_plan_closes_every_coverable_gap(network: Database) -> None:
    with network.transaction() as session:
        plan = coverage.compute(session, actor=factories.ACTOR).plan
        for n, line in enumerate(plan):
            factories.spare(session, f"NEW{n}", part_number=line.part_number,
                            warehouse_code=line.warehouse_code)  # fmt: skip
        after = coverage.compute(session, actor=factories.ACTOR)
    assert [(p.site_code, p.part_number) for p in after.pairs if not p.reachable] == [
        ("BJ-01", "PSU-750W")
    ]
    assert after.plan == []


def test_a_longer_deadline_covers_more(network: Database) -> None:
    with network.transaction(write=False) as session:
        result = coverage.compute(session, actor=factories.ACTOR, deadline_minutes=300)
    assert ("DAL-01", "PSU-750W", 300) in {
        (p.site_code, p.part_number, p.best_eta_minutes) for p in result.pairs
    }


def test_coverage_by_customer_and_customer_scope(network: Database) -> None:
    with network.transaction(write=False) as session:
        only_grid = coverage.compute(session, actor=factories.ACTOR, customer_code="LNGRID")
        grid = factories.places.get_customer(session, actor=factories.ACTOR, code="LNGRID")
        caller = Caller(1, "grid", Role.CUSTOMER, customer_id=grid.id, customer_code="LNGRID")
        scoped = coverage.compute(session, actor=caller)
        with pytest.raises(NotFound):
            coverage.compute(session, actor=caller, customer_code="LNXX")
    assert {p.site_code for p in only_grid.pairs} == {"BJ-01"}
    assert {p.site_code for p in scoped.pairs} == {"BJ-01"}


ORIGIN = (41.1, 121.1)
DEPOT = Stop(1, "WH-X", ORIGIN[0], ORIGIN[1], 0, False)


@given(
    km=st.one_of(
        st.sampled_from([25.0, 100.0, 300.0, 500.0]).flatmap(
            lambda edge: st.floats(edge - 2, edge + 2)
        ),
        st.floats(0, 700),
    ),
    bearing=st.floats(0, 360),
)
def test_the_cheap_bands_of_coverage_agree_with_the_geodesic(km: float, bearing: float) -> None:
    lat, lon = destination(*ORIGIN, bearing_deg=bearing, km=km)
    site = SitePoint("S", lat, lon, 0.0)
    bander = coverage._Bander([DEPOT])
    etas, pos = bander.etas([site])
    exact = leg(site, DEPOT).eta_minutes
    exact_or_never = coverage.NEVER if exact is None else exact
    if pos[0, 0] % 2:
        # Straddling an edge: the cheap ETA is the optimistic one, the settled one exact.
        assert etas[0, 0] <= exact_or_never
        bander.settle([site], etas, pos)
        assert pos[0, 0] == 0
    assert etas.tolist() == [[exact_or_never]]


def test_every_pair_agrees_with_the_availability_answer(network: Database) -> None:
    with network.transaction() as session:
        factories.warehouse(session, "WH-AS", lat=41.1087, lon=122.9946, kind="depot",
                            handling_minutes=30)  # fmt: skip
        factories.spare(session, "AS-FAN", part_number="FAN-1", warehouse_code="WH-AS")
        result = coverage.compute(session, actor=factories.ACTOR)
        for pair in result.pairs:
            answer = reachability.availability(
                session,
                actor=factories.ACTOR,
                site_code=pair.site_code,
                part_number=pair.part_number,
            )
            best = answer.best
            assert pair.best_eta_minutes == (best.eta_minutes if best else None), pair
            assert pair.reachable is answer.reachable


def test_another_vendors_stock_covers_only_as_an_approved_alternate(network: Database) -> None:
    def fan_at_she(session: Session) -> int | None:
        result = coverage.compute(session, actor=factories.ACTOR, deadline_minutes=240)
        pairs = {(p.site_code, p.part_number): p for p in result.pairs}
        return pairs["SHE-01", "FAN-1"].best_eta_minutes

    with network.transaction() as session:
        # A faster fan of another vendor at the hub: not the manufacturer's, so no cover.
        factories.part(session, "FAN-HPE", vendor="HPE", category="server_fan",
                       specs={"rpm": 12000})  # fmt: skip
        factories.spare(session, "HPE-FAN", part_number="FAN-HPE")
        assert fan_at_she(session) is None
        catalogue.add_alternate(
            session,
            actor=factories.ACTOR,
            part_number="FAN-1",
            data=AlternateCreate(part_number="FAN-HPE", document="Dell notice 2026-21"),
        )
        assert fan_at_she(session) == 30
        answer = reachability.availability(
            session, actor=factories.ACTOR, site_code="SHE-01", part_number="FAN-1"
        )
        assert answer.best is not None
        assert answer.best.part_number == "FAN-HPE"


def test_sites_and_stock_without_devices_cover_nothing_and_fail_nothing(db: Database) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SHE-01", lat=41.8057, lon=123.4315)
        factories.part(session, "PSU-750W")
        factories.warehouse(session, "WH-SY", lat=41.8057, lon=123.4315)
        factories.spare(session, "S1")
        result = coverage.compute(session, actor=factories.ACTOR)
    assert (result.pairs, result.plan, result.uncoverable) == ([], [], [])
    assert result.share_covered == 1.0
