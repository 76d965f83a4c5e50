"""Reachability at the service layer: the contract's ETA, candidates, rejections and order."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import NotFound, ValidationFailed
from inventory_service.reach import reachability
from inventory_service.reach.geo import destination
from inventory_service.warehouse import catalogue, stock
from models import Role, SpareUnit, UnitStatus
from models.part import AlternateCreate
from models.reachability import AvailabilityRead
from tests import factories
from tests.conftest import Statements

HUB = (41.8057, 123.4315)
CITIES = {
    # city: (lat, lon), geodesic km from the Shenyang hub ≈ 0, 44.45, 85.59, 203.09, 249.5, 356.24
    "Shenyang": (41.8057, 123.4315),
    "Fushun": (41.8808, 123.9572),
    "Anshan": (41.1087, 122.9946),
    "Dandong": (40.1290, 124.3947),
    "Chaoyang": (41.5718, 120.4508),
    "Dalian": (38.9140, 121.6147),
}


def ask(session: Session, site: str, part: str = "PSU-750W", **kw: object) -> AvailabilityRead:
    return reachability.availability(
        session,
        actor=factories.ACTOR,
        site_code=site,
        part_number=part,
        **kw,  # type: ignore[arg-type]
    )


def reserve(session: Session, unit: SpareUnit) -> None:
    stock.transition(session, unit, UnitStatus.RESERVED, actor=factories.ACTOR, action="reserved")


@pytest.fixture
def liaoning(db: Database) -> Database:
    """LNXX's sites in six cities, the central warehouse at the hub, PSU parts."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        for city, (lat, lon) in CITIES.items():
            factories.site(session, f"{city[:3].upper()}-01", lat=lat, lon=lon, city=city)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-495W", specs={"watts": 495, "input": "AC"})
        factories.part(session, "FAN-1", category="server_fan", specs={"rpm": 9000})
        factories.part(session, "ALT-FAN", category="server_fan", vendor="Delta", specs={})
        factories.part(session, "PSU-495W-HPE", vendor="HPE", specs={"watts": 495, "input": "AC"})
        factories.warehouse(session, "WH-SY", lat=HUB[0], lon=HUB[1], handling_minutes=0)
    return db


@pytest.mark.parametrize(
    ("site", "reachable", "band", "eta"),
    [
        ("SHE-01", True, 30, 30),
        ("FUS-01", True, 60, 60),
        ("ANS-01", True, 60, 60),
        ("DAN-01", True, 180, 180),
        ("CHA-01", True, 180, 180),
        ("DAL-01", False, 300, 300),
    ],
)
def test_from_the_central_warehouse_only_dalian_is_out_of_reach(
    liaoning: Database, site: str, reachable: bool, band: int, eta: int
) -> None:
    with liaoning.transaction() as session:
        unit = factories.spare(session, "S1")
        answer = ask(session, site)
    assert answer.reachable is reachable
    assert answer.deadline_minutes == 240
    if reachable:
        assert answer.best is not None
        assert (answer.best.spare_id, answer.best.band_minutes) == (unit.id, band)
        assert answer.best.eta_minutes == eta
        assert answer.best.warehouse_code == "WH-SY"
        assert answer.rejected == []
    else:
        assert answer.best is None
        assert [(r.reason, r.eta_minutes) for r in answer.rejected] == [("too_far", eta)]
        assert answer.rejected_counts["too_far"] == 1


def test_a_forward_depot_brings_dalian_within_the_deadline(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        factories.warehouse(session, "WH-DL", lat=38.92, lon=121.63, kind="depot",
                            handling_minutes=15)  # fmt: skip
        factories.spare(session, "SY-1")
        depot_unit = factories.spare(session, "DL-1", warehouse_code="WH-DL")
        dalian = ask(session, "DAL-01")
        dandong = ask(session, "DAN-01")
    assert dalian.reachable
    assert dalian.best is not None
    assert (dalian.best.spare_id, dalian.best.band_minutes, dalian.best.eta_minutes) == (
        depot_unit.id,
        30,
        45,
    )
    assert [(r.warehouse_code, r.reason, r.eta_minutes) for r in dalian.rejected] == [
        ("WH-SY", "too_far", 300)
    ]
    # Dandong: the hub (180 min) beats the depot (274 km: 180 + 15 handling).
    assert dandong.best is not None
    assert (dandong.best.warehouse_code, dandong.best.eta_minutes) == ("WH-SY", 180)
    assert [c.eta_minutes for c in dandong.candidates] == [180, 195]


@pytest.mark.parametrize(("km", "band"), [(99.9, 60), (100.0, 60), (100.1, 180), (500.0, 300)])
def test_band_edges_are_inclusive_on_the_hub_override(
    liaoning: Database, km: float, band: int
) -> None:
    with liaoning.transaction() as session:
        factories.site(session, "EDGE", lat=40.0, lon=123.0, distance_km_override=km)
        factories.spare(session, "S1")
        answer = ask(session, "EDGE", deadline_minutes=600)
    assert answer.best is not None
    assert (answer.best.band_minutes, answer.best.distance_km) == (band, km)


def test_beyond_the_last_band_is_not_covered_whatever_the_deadline(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        factories.site(session, "FAR", lat=40.0, lon=123.0, distance_km_override=500.1)
        factories.spare(session, "S1")
        answer = ask(session, "FAR", deadline_minutes=7 * 24 * 60)
    assert not answer.reachable
    assert [(r.reason, r.distance_km, r.eta_minutes) for r in answer.rejected] == [
        ("not_covered", 500.1, None)
    ]


@pytest.mark.parametrize(("km", "band"), [(99.999, 60), (100.001, 180), (24.999, 30)])
def test_band_edges_on_the_geodesic_from_a_depot(liaoning: Database, km: float, band: int) -> None:
    depot = (41.1, 121.1)
    lat, lon = destination(*depot, bearing_deg=37.0, km=km)
    with liaoning.transaction() as session:
        factories.warehouse(session, "WH-JZ", lat=depot[0], lon=depot[1], kind="depot")
        factories.site(session, "GEO", lat=lat, lon=lon)
        factories.spare(session, "JZ-1", warehouse_code="WH-JZ")
        answer = ask(session, "GEO")
    assert answer.best is not None
    assert answer.best.band_minutes == band


def test_the_hub_override_applies_only_to_the_warehouse_at_the_hub(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        # A Fushun site measured at 150 km of road from the hub.
        factories.site(session, "FUS-RD", lat=41.8808, lon=123.9572, distance_km_override=150.0)
        factories.warehouse(session, "WH-AS", lat=41.1087, lon=122.9946, kind="depot")
        factories.spare(session, "SY-1")
        factories.spare(session, "AS-1", warehouse_code="WH-AS")
        answer = ask(session, "FUS-RD")
    by_wh = {c.warehouse_code: (c.distance_km, c.band_minutes) for c in answer.candidates}
    assert by_wh["WH-SY"] == (150.0, 180)
    assert by_wh["WH-AS"][1] == 180  # its own geodesic (~111 km), not the hub's override
    assert by_wh["WH-AS"][0] != 150.0


def _other_vendors_and_an_alternate(session: Session) -> tuple[SpareUnit, SpareUnit]:
    """Another vendor's PSU better in every spec and a lower one (neither a substitute), and
    an approved alternate of another category with a unit (a substitute whatever its specs)."""
    factories.part(session, "HPE-1600W", vendor="HPE", specs={"watts": 1600, "input": "AC"})
    other_vendor = factories.spare(session, "HPE", part_number="HPE-1600W")
    lower_other = factories.spare(session, "HPE-LOW", part_number="PSU-495W-HPE")
    factories.spare(session, "ALT", part_number="ALT-FAN")
    catalogue.add_alternate(
        session,
        actor=factories.ACTOR,
        part_number="PSU-750W",
        data=AlternateCreate(part_number="ALT-FAN", document="Dell notice 2026-17"),
    )
    return other_vendor, lower_other


def test_every_rejection_reason_first_failing_only(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        factories.warehouse(session, "WH-DL", lat=38.92, lon=121.63, kind="depot")
        factories.warehouse(session, "WH-BJ", lat=39.9042, lon=116.4074, kind="depot")
        fake = factories.spare(session, "FAKE", genuine=False)
        reserved = factories.spare(session, "RES")
        reserve(session, reserved)
        fake_reserved_lower = factories.spare(session, "FRL", part_number="PSU-495W", genuine=False)
        reserve(session, fake_reserved_lower)
        quarantined = factories.spare(session, "Q", provenance={"supplier": "x"})
        lower = factories.spare(session, "LOW", part_number="PSU-495W")
        far = factories.spare(session, "FAR", warehouse_code="WH-DL")
        beijing = factories.spare(session, "BJ", warehouse_code="WH-BJ")
        factories.spare(session, "FAN", part_number="FAN-1")  # other category: not considered
        other_vendor, lower_other = _other_vendors_and_an_alternate(session)
        good = factories.spare(session, "GOOD")
        answer = ask(session, "SHE-01")
    reasons = {r.spare_id: r.reason for r in answer.rejected}
    assert reasons == {
        fake.id: "not_genuine",
        fake_reserved_lower.id: "not_genuine",
        reserved.id: "not_available",
        quarantined.id: "not_available",
        other_vendor.id: "other_vendor",
        lower_other.id: "other_vendor",
        lower.id: "spec_lower",
        far.id: "too_far",
        beijing.id: "not_covered",
    }
    assert answer.rejected_counts == {
        "not_genuine": 2,
        "not_available": 2,
        "other_vendor": 2,
        "spec_lower": 1,
        "not_covered": 1,
        "too_far": 1,
    }
    assert [(c.part_number, c.substitute) for c in answer.candidates] == [
        ("PSU-750W", False),
        ("ALT-FAN", True),
    ]
    assert answer.candidates[0].spare_id == good.id
    assert answer.candidate_count == 2
    # Nearest first: the hub's seven, then Dalian, then Beijing; by id within a warehouse.
    assert [r.warehouse_code for r in answer.rejected] == ["WH-SY"] * 7 + ["WH-DL", "WH-BJ"]
    hub_ids = [r.spare_id for r in answer.rejected[:7]]
    assert hub_ids == sorted(hub_ids)
    far_row = answer.rejected[7]
    assert far_row.eta_minutes == 300
    assert all(r.eta_minutes is None for r in answer.rejected if r.reason != "too_far")


def test_only_reserved_units_means_not_reachable(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        for serial in ("R1", "R2"):
            reserve(session, factories.spare(session, serial))
        installed = factories.spare(session, "INST")
        reserve(session, installed)
        stock.transition(session, installed, UnitStatus.DISPATCHED, actor=factories.ACTOR,
                         action="dispatched")  # fmt: skip
        answer = ask(session, "SHE-01")
    assert not answer.reachable
    assert answer.rejected_counts["not_available"] == 3  # dispatched is still out on a reservation


def test_best_is_smallest_eta_then_exact_part_then_earliest_receipt(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        factories.warehouse(session, "WH-FS", lat=41.8808, lon=123.9572, kind="depot")
        early = datetime(2026, 1, 1, tzinfo=UTC)
        fushun_exact = factories.spare(session, "FS-EXACT", warehouse_code="WH-FS")
        sub_old = factories.spare(session, "SUB-OLD", part_number="PSU-1100W")
        exact_new = factories.spare(session, "EX-NEW")
        exact_old = factories.spare(session, "EX-OLD")
        exact_tie = factories.spare(session, "EX-TIE")
        for unit, at in (
            (fushun_exact, early - timedelta(days=30)),
            (sub_old, early - timedelta(days=10)),
            (exact_new, early + timedelta(days=5)),
            (exact_old, early),
            (exact_tie, early),
        ):
            unit.received_at = at
            session.add(unit)
        session.flush()
        answer = ask(session, "SHE-01")
        ids = reachability.candidate_spare_ids(
            session,
            site=reachability.resolve_site(session, actor=factories.ACTOR, site_code="SHE-01"),
            part=reachability.resolve_part(session, part_number="PSU-750W"),
            deadline_minutes=240,
        )
    expected = [exact_old.id, exact_tie.id, exact_new.id, sub_old.id, fushun_exact.id]
    assert [c.spare_id for c in answer.candidates] == expected
    assert [c.substitute for c in answer.candidates] == [False, False, False, True, False]
    assert [c.eta_minutes for c in answer.candidates] == [30, 30, 30, 30, 60]
    assert answer.best == answer.candidates[0]
    assert ids == expected


def test_limit_bounds_the_lists_but_counts_stay_complete(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        for i in range(7):
            factories.spare(session, f"OK{i}")
            factories.spare(session, f"BAD{i}", genuine=False)
        answer = ask(session, "SHE-01", limit=3)
    assert len(answer.candidates) == 3
    assert len(answer.rejected) == 3
    assert answer.candidate_count == 7
    assert answer.rejected_counts["not_genuine"] == 7


@pytest.mark.parametrize("deadline", [0, -5, 7 * 24 * 60 + 1])
def test_a_deadline_out_of_range_is_refused_naming_it(liaoning: Database, deadline: int) -> None:
    with liaoning.transaction() as session, pytest.raises(ValidationFailed) as caught:
        ask(session, "SHE-01", deadline_minutes=deadline)
    assert caught.value.details[0]["field"] == "deadline_minutes"


def test_the_deadline_decides_too_far(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        factories.spare(session, "S1")
        tight = ask(session, "DAN-01", deadline_minutes=179)
        loose = ask(session, "DAN-01", deadline_minutes=180)
    assert not tight.reachable
    assert tight.rejected[0].eta_minutes == 180
    assert loose.reachable


def test_unknown_site_or_part_is_not_found(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        with pytest.raises(NotFound):
            ask(session, "NOPE")
        with pytest.raises(NotFound):
            ask(session, "SHE-01", part="NOPE")


def test_an_answer_by_site_and_part_is_five_statements(
    liaoning: Database, statements: Callable[[], AbstractContextManager[Statements]]
) -> None:
    """Site with the warehouses' fingerprint, the part with its pool, the counts, the
    candidates shown, the rejected shown: each a round trip on the hot path, none twice."""
    with liaoning.transaction() as session:
        factories.warehouse(session, "WH-DL", lat=38.92, lon=121.63, kind="depot")
        factories.spare(session, "SY-1")
        factories.spare(session, "DL-1", warehouse_code="WH-DL")
    with liaoning.session() as session:
        ask(session, "DAL-01")  # warm: the warehouse table is read once per process
        with statements() as sent:
            answer = ask(session, "DAL-01")
    assert answer.candidate_count == 1
    assert answer.rejected_counts["too_far"] == 1
    assert sent.count == 5


def test_a_customer_asks_only_about_its_own_sites(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        factories.site(session, "GRID-01", customer_code="LNGRID")
        factories.installed_part(
            session, site_code="GRID-01", part_number="PSU-750W", serial="C-GRID"
        )
        factories.spare(session, "S1")
        grid = factories.places.get_customer(session, actor=factories.ACTOR, code="LNGRID")
        caller = Caller(1, "grid", Role.CUSTOMER, customer_id=grid.id, customer_code="LNGRID")
        own = reachability.availability(
            session, actor=caller, site_code="GRID-01", part_number="PSU-750W"
        )
        with pytest.raises(NotFound):
            reachability.availability(
                session, actor=caller, site_code="SHE-01", part_number="PSU-750W"
            )
        # Its own site, but a part outside its spares scope (lower than what it has).
        with pytest.raises(NotFound):
            reachability.availability(
                session, actor=caller, site_code="GRID-01", part_number="PSU-495W"
            )
    assert own.reachable


def test_device_and_slot_name_the_site_and_part(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        component = factories.installed_part(
            session, site_code="DAN-01", part_number="PSU-1100W", serial="C1", slot="PSU2"
        )
        factories.spare(session, "BIG", part_number="PSU-1100W")
        factories.spare(session, "SMALL")  # lower spec than 1100 W
        answer = reachability.availability(
            session, actor=factories.ACTOR, device_id=component.device_id, slot="PSU2"
        )
        with pytest.raises(NotFound):
            reachability.availability(
                session, actor=factories.ACTOR, device_id=component.device_id, slot="PSU9"
            )
        with pytest.raises(NotFound):
            reachability.availability(session, actor=factories.ACTOR, device_id=999999, slot="X")
        with pytest.raises(ValidationFailed):
            reachability.availability(session, actor=factories.ACTOR, device_id=1)
    assert (answer.site_code, answer.part_number) == ("DAN-01", "PSU-1100W")
    assert [c.eta_minutes for c in answer.candidates] == [180]
    assert [r.reason for r in answer.rejected] == ["spec_lower"]


def test_unit_leg_gives_one_units_eta(liaoning: Database) -> None:
    with liaoning.transaction() as session:
        unit = factories.spare(session, "S1")
        site = reachability.resolve_site(session, actor=factories.ACTOR, site_code="DAL-01")
        travel = reachability.unit_leg(session, site=site, spare=unit)
    assert (travel.band_minutes, travel.eta_minutes) == (300, 300)
    assert travel.distance_km == pytest.approx(356.24, abs=0.01)


UNIT = st.tuples(
    st.sampled_from(["PSU-750W", "PSU-1100W", "PSU-495W"]),
    st.sampled_from(["WH-SY", "WH-DL", "WH-FS"]),
    st.booleans(),
    st.sampled_from(["available", "reserved"]),
)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(units=st.lists(UNIT, max_size=10), site=st.sampled_from(["SHE-01", "DAN-01", "DAL-01"]))
def test_best_is_never_worse_than_any_candidate_and_every_unit_is_answered_once(
    liaoning: Database, units: list[tuple[str, str, bool, str]], site: str
) -> None:
    with liaoning.transaction() as session:
        factories.warehouse(session, "WH-DL", lat=38.92, lon=121.63, kind="depot",
                            handling_minutes=15)  # fmt: skip
        factories.warehouse(session, "WH-FS", lat=41.8808, lon=123.9572, kind="depot")
        ids = []
        for i, (part, wh, genuine, status) in enumerate(units):
            unit = factories.spare(session, f"H{i}", part_number=part, warehouse_code=wh,
                                   genuine=genuine)  # fmt: skip
            if status == "reserved":
                reserve(session, unit)
            ids.append(unit.id)
        answer = ask(session, site, limit=500)
        session.rollback()
    shown = [c.spare_id for c in answer.candidates] + [r.spare_id for r in answer.rejected]
    assert sorted(shown) == sorted(ids)
    assert answer.candidate_count + sum(answer.rejected_counts.values()) == len(ids)
    assert answer.reachable is (answer.candidate_count > 0)
    if answer.best is not None:
        assert all(
            (answer.best.eta_minutes, answer.best.substitute) <= (c.eta_minutes, c.substitute)
            for c in answer.candidates
        )
        assert all(c.eta_minutes <= 240 for c in answer.candidates)
    kms = [r.distance_km for r in answer.rejected]
    assert kms == sorted(kms)
