"""The replacement report: periods in Asia/Shanghai, rows, hand-computed summaries, scope."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import ValidationFailed
from inventory_service.platform.settings import Settings, get_settings, replace_settings
from inventory_service.reporting import periods, reports
from inventory_service.warehouse import stock
from models import Customer, Role, SpareUnit
from models.report import ReplacementReport
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = factories.ACTOR
REPORTER = Caller(token_id=0, name="reporter", role=Role.REPORTER)

# serial, local time in Shanghai, duration, part, site, fault level
OCTOBER = [
    ("R01", datetime(2026, 10, 1, 0, 5), 30, "PSU-750W", "SY-01", "major"),
    ("R02", datetime(2026, 10, 3, 10, 0), 45, "PSU-750W", "SY-01", "critical"),
    ("R03", datetime(2026, 10, 8, 14, 0), 60, "HDD-1T", "DL-01", "minor"),
    ("R04", datetime(2026, 10, 12, 9, 0), 90, "PSU-750W", "SY-01", "major"),
    ("R05", datetime(2026, 10, 15, 16, 0), 120, "HDD-1T", "DL-01", "major"),
    ("R06", datetime(2026, 10, 20, 11, 0), 180, "FAN-01", "AS-01", "minor"),
    ("R07", datetime(2026, 10, 22, 8, 0), 240, "PSU-750W", "SY-01", "critical"),
    ("R08", datetime(2026, 10, 25, 13, 0), 250, "HDD-1T", "DL-01", "minor"),
    ("R09", datetime(2026, 10, 28, 18, 0), 300, "PSU-750W", "AS-01", "major"),
    # 23:30 on the last day in Shanghai is 15:30 UTC the same day: still October.
    ("R10", datetime(2026, 10, 31, 23, 30), 600, "PSU-750W", "SY-01", "major"),
]
OUTSIDE = [
    # 23:50 on 30 September in Shanghai (15:50 UTC): September's.
    ("X1", datetime(2026, 9, 30, 23, 50), 999, "FAN-01", "AS-01", "critical"),
    # 00:10 on 1 November in Shanghai is 16:10 UTC on 31 October: November's.
    ("X2", datetime(2026, 11, 1, 0, 10), 999, "FAN-01", "AS-01", "critical"),
]
CUSTOMER_OF = {"SY-01": "LNXX", "AS-01": "LNXX", "DL-01": "LNDL"}


def seed(session: Session) -> None:
    """October's ten replacements, one either side of the month, and four repair orders."""
    for serial, local, minutes, part, site, level in OCTOBER + OUTSIDE:
        factories.replacement_row(
            session,
            serial,
            replaced_at=local.replace(tzinfo=SHANGHAI),
            duration_minutes=minutes,
            part_number=part,
            site_code=site,
            customer_code=CUSTOMER_OF[site],
            fault_level=level,
        )


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def report(session: Session, actor: Caller = REPORTER, **period: str) -> ReplacementReport:
    return reports.replacement_report(session, actor=actor, period=periods.parse_period(**period))


def customer_caller(session: Session, code: str) -> Caller:
    found = session.exec(select(Customer).where(Customer.code == code)).one()
    return Caller(
        token_id=0, name=code, role=Role.CUSTOMER, customer_id=found.id, customer_code=code
    )


@pytest.fixture
def seeded(db: Database) -> Database:
    with db.transaction() as session:
        seed(session)
    return db


def test_october_matches_the_figures_computed_by_hand(seeded: Database) -> None:
    with seeded.transaction(write=False) as session:
        got = report(session, month="2026-10")
    assert got.month == "2026-10"
    assert [r.removed_serial for r in got.rows] == [f"OLD-R{i:02d}" for i in range(1, 11)]
    s = got.summary
    assert s.count == 10
    assert s.by_part == {"PSU-750W": 6, "HDD-1T": 3, "FAN-01": 1}
    assert s.by_site == {"SY-01": 5, "DL-01": 3, "AS-01": 2}
    assert s.by_fault_level == {"major": 5, "critical": 2, "minor": 3}
    assert s.by_customer == {"LNXX": 7, "LNDL": 3}
    # Sorted durations 30 45 60 90 120 | 180 240 250 300 600: median (120 + 180) / 2.
    assert s.median_duration_minutes == 150
    # p90, inclusive: rank (10 - 1) × 0.9 = 8.1 → 300 + 0.1 × (600 - 300).
    assert s.p90_duration_minutes == pytest.approx(330)
    # Within 240 minutes: 30 45 60 90 120 180 240.
    assert s.within_deadline_count == 7
    assert s.share_within_deadline == pytest.approx(0.7)


def test_month_edges_are_local_midnights_in_shanghai(seeded: Database) -> None:
    with seeded.transaction(write=False) as session:
        october = report(session, month="2026-10")
        november = report(session, month="2026-11")
        september = report(session, month="2026-09")
    first, last = october.rows[0], october.rows[-1]
    assert (first.removed_serial, first.date) == ("OLD-R01", date(2026, 10, 1))
    assert first.replaced_at == datetime(2026, 9, 30, 16, 5, tzinfo=UTC)
    assert (last.removed_serial, last.date) == ("OLD-R10", date(2026, 10, 31))
    assert last.replaced_at == datetime(2026, 10, 31, 15, 30, tzinfo=UTC)
    assert [(r.removed_serial, r.date) for r in november.rows] == [("OLD-X2", date(2026, 11, 1))]
    assert november.rows[0].replaced_at == datetime(2026, 10, 31, 16, 10, tzinfo=UTC)
    assert [(r.removed_serial, r.date) for r in september.rows] == [("OLD-X1", date(2026, 9, 30))]


def test_the_configured_time_zone_moves_the_edges(seeded: Database) -> None:
    old = replace_settings(Settings(**(get_settings().model_dump() | {"time_zone": "UTC"})))
    try:
        with seeded.transaction(write=False) as session:
            october = report(session, month="2026-10")
    finally:
        replace_settings(old)
    serials = [r.removed_serial for r in october.rows]
    # In UTC, R01 (16:05 on 30 September) is September's and X2 (16:10 on 31 October) October's.
    assert "OLD-R01" not in serials
    assert "OLD-X2" in serials
    assert october.period.time_zone == "UTC"


def test_quarter_and_range(seeded: Database) -> None:
    with seeded.transaction(write=False) as session:
        q4 = report(session, quarter="2026-Q4")
        q3 = report(session, quarter="2026-Q3")
        edge = report(session, date_from="2026-10-31", date_to="2026-11-01")
        one_day = report(session, date_from="2026-10-01", date_to="2026-10-01")
    assert q4.summary.count == 11
    assert (q4.month, q4.quarter) == (None, "2026-Q4")
    assert (q4.period.from_, q4.period.to) == (date(2026, 10, 1), date(2026, 12, 31))
    assert [r.removed_serial for r in q3.rows] == ["OLD-X1"]
    assert [r.removed_serial for r in edge.rows] == ["OLD-R10", "OLD-X2"]
    assert (edge.month, edge.quarter) == (None, None)
    assert [r.removed_serial for r in one_day.rows] == ["OLD-R01"]


def test_a_customer_gets_only_its_rows_and_its_summary_counts_only_them(
    seeded: Database,
) -> None:
    with seeded.transaction(write=False) as session:
        lndl = report(session, customer_caller(session, "LNDL"), month="2026-10")
        filtered = reports.replacement_report(
            session,
            actor=REPORTER,
            period=periods.parse_period(month="2026-10"),
            customer_code="LNDL",
        )
    assert [r.removed_serial for r in lndl.rows] == ["OLD-R03", "OLD-R05", "OLD-R08"]
    assert {r.customer for r in lndl.rows} == {"LNDL"}
    s = lndl.summary
    assert (s.count, s.by_site, s.by_customer) == (3, {"DL-01": 3}, {"LNDL": 3})
    # 60 120 250: median 120; p90 rank 2 × 0.9 = 1.8 → 120 + 0.8 × (250 - 120) = 224.
    assert s.median_duration_minutes == 120
    assert s.p90_duration_minutes == pytest.approx(224)
    assert s.share_within_deadline == pytest.approx(2 / 3)
    assert filtered.rows == lndl.rows


def test_a_customer_may_not_name_another_customer(seeded: Database) -> None:
    with seeded.transaction(write=False) as session:
        caller = customer_caller(session, "LNDL")
        with pytest.raises(ValidationFailed) as refused:
            reports.replacement_report(
                session,
                actor=caller,
                period=periods.parse_period(month="2026-10"),
                customer_code="LNXX",
            )
    assert refused.value.details == [
        {"field": "customer_code", "reason": "unknown customer 'LNXX'"}
    ]


def test_an_empty_period_has_null_statistics(seeded: Database) -> None:
    with seeded.transaction(write=False) as session:
        empty = report(session, month="2026-07")
    s = empty.summary
    assert (s.count, s.by_part, s.median_duration_minutes, s.p90_duration_minutes) == (
        0,
        {},
        None,
        None,
    )
    assert s.share_within_deadline is None


def test_one_row_is_its_own_median_and_p90(seeded: Database) -> None:
    with seeded.transaction(write=False) as session:
        one = report(session, month="2026-09")
    assert (one.summary.median_duration_minutes, one.summary.p90_duration_minutes) == (999, 999)


def test_repairs_sent_and_back_in_the_period(db: Database) -> None:
    with db.transaction() as session:
        r03 = factories.replacement_row(
            session,
            "R03",
            replaced_at=at(2026, 10, 8, 14, 0),
            duration_minutes=60,
            site_code="DL-01",
            customer_code="LNDL",
        )
        factories.repair_row(session, "F1", sent_at=at(2026, 10, 10, 9, 0))
        factories.repair_row(
            session,
            "F2",
            sent_at=at(2026, 9, 20, 9, 0),
            received_at=at(2026, 10, 5, 9, 0),
            outcome="repaired",
        )
        factories.repair_row(
            session,
            "F3",
            sent_at=at(2026, 10, 2, 9, 0),
            received_at=at(2026, 10, 31, 23, 0),
            outcome="scrapped",
        )
        factories.repair_row(
            session,
            "F4",
            sent_at=at(2026, 10, 3, 9, 0),
            received_at=at(2026, 11, 1, 0, 30),
            outcome="repaired",
        )
        # The part taken out of LNDL's device goes to the vendor too.
        factories.repair_row(
            session, "R03", sent_at=at(2026, 10, 12, 9, 0), spare_id=r03.removed_spare_id
        )
    with db.transaction(write=False) as session:
        every = report(session, month="2026-10").summary
        lndl = report(session, customer_caller(session, "LNDL"), month="2026-10").summary
    assert (every.repairs_sent, every.repairs_back) == (4, 2)
    assert (every.repairs_back_repaired, every.repairs_back_scrapped) == (1, 1)
    assert (lndl.repairs_sent, lndl.repairs_back) == (1, 0)


def test_scrapped_units_come_from_the_ledger(db: Database) -> None:
    now = datetime.now(SHANGHAI)
    this_month = f"{now.year}-{now.month:02d}"
    last = now.replace(day=1) - timedelta(days=1)
    with db.transaction() as session:
        factories.repair_row(session, "F9", sent_at=now, outcome="scrapped")
        factories.part(session, "HDD-1T", category="server_hdd", specs={"tb": 1})
        factories.spare(session, "WRITE-OFF", part_number="HDD-1T")
    with db.transaction() as session:
        unit = session.exec(select(SpareUnit).where(SpareUnit.serial == "WRITE-OFF")).one()
        assert unit.id is not None
        stock.scrap(session, actor=ADMIN, spare_id=unit.id, reason="dropped")
    with db.transaction(write=False) as session:
        current = report(session, month=this_month).summary
        before = report(session, month=f"{last.year}-{last.month:02d}").summary
    assert current.scrapped_units == 2
    assert before.scrapped_units == 0


@pytest.mark.parametrize(
    ("period", "field", "reason"),
    [
        ({}, "month", "give exactly one of month, quarter, or from and to"),
        (
            {"month": "2026-10", "quarter": "2026-Q4"},
            "quarter",
            "give exactly one of month, quarter, or from and to",
        ),
        (
            {"month": "2026-10", "date_from": "2026-10-01"},
            "from",
            "give exactly one of month, quarter, or from and to",
        ),
        ({"month": "2026-13"}, "month", "expected YYYY-MM, e.g. 2026-10"),
        ({"month": "202610"}, "month", "expected YYYY-MM, e.g. 2026-10"),
        ({"month": "0001-01"}, "month", "year must be between 1900 and 9998"),
        ({"quarter": "2026-Q5"}, "quarter", "expected YYYY-Qn with n 1 to 4, e.g. 2026-Q4"),
        ({"quarter": "2026-4"}, "quarter", "expected YYYY-Qn with n 1 to 4, e.g. 2026-Q4"),
        ({"date_from": "2026-10-01"}, "to", "required with from"),
        ({"date_to": "2026-10-01"}, "from", "required with to"),
        ({"date_from": "20261001", "date_to": "2026-10-02"}, "from", "expected a date YYYY-MM-DD"),
        ({"date_from": "2026-10-01", "date_to": "2026-02-30"}, "to", "expected a date YYYY-MM-DD"),
        ({"date_from": "2026-10-02", "date_to": "2026-10-01"}, "to", "must not be before from"),
    ],
)
def test_bad_periods_name_the_field(period: dict[str, str], field: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        periods.parse_period(**period)
    assert refused.value.details == [{"field": field, "reason": reason}]


@given(st.integers(1900, 9998), st.integers(1, 12))
def test_a_month_is_its_calendar_days(year: int, month: int) -> None:
    period = periods.parse_period(month=f"{year}-{month:02d}")
    last_day = calendar.monthrange(year, month)[1]
    assert (period.start, period.end) == (date(year, month, 1), date(year, month, last_day))


@given(st.integers(1900, 9998), st.integers(1, 4))
def test_a_quarter_is_its_three_months(year: int, n: int) -> None:
    quarter = periods.parse_period(quarter=f"{year}-Q{n}")
    first = periods.parse_period(month=f"{year}-{3 * n - 2:02d}")
    third = periods.parse_period(month=f"{year}-{3 * n:02d}")
    assert (quarter.start, quarter.end) == (first.start, third.end)
    assert quarter.label == f"{year}-Q{n}"


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=50))
def test_p90_lies_between_the_median_and_the_longest(durations: list[int]) -> None:
    p90 = reports.p90(durations)
    median = reports.median(durations)
    assert p90 is not None
    assert median is not None
    assert median <= p90 + 1e-9
    assert p90 <= max(durations)
