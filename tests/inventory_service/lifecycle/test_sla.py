"""The SLA clock, the fault record's edits and the failure rate, through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from inventory_service.assets import register
from inventory_service.lifecycle import replacements
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import Forbidden, NotFound, ValidationFailed
from inventory_service.reporting import failures, periods, reports
from models import Device, DeviceStatus, Replacement, ReplacementEdit, Role
from models.reservation import ReplacementUpdate
from tests import factories

ADMIN = factories.ACTOR
OCT_15 = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
# Hub distance of a site in each band of the contract's response table (plan 2.2.5.8).
BAND_SITES = {30: ("SY-B30", 10.0), 60: ("SY-B60", 80.0), 180: ("SY-B180", 250.0)}
BAND_SITES[300] = ("SY-B300", 450.0)


def band_sites(session: Session) -> None:
    factories.customer(session, "LNXX")
    for code, km in BAND_SITES.values():
        factories.site(session, code, distance_km_override=km)


def one(session: Session, serial: str, arrival: int | None, *, site: str = "SY-B30") -> Replacement:
    return factories.replacement_row(
        session,
        serial,
        replaced_at=OCT_15,
        duration_minutes=max(arrival or 0, 0) + 20,
        site_code=site,
        arrival_minutes=arrival,
    )


@pytest.mark.parametrize("band", [30, 60, 180, 300])
def test_arrival_at_the_band_edge_is_on_time_and_a_minute_later_is_late(
    db: Database, band: int
) -> None:
    with db.transaction() as session:
        band_sites(session)
        code = BAND_SITES[band][0]
        edge, late = one(session, "E", band, site=code), one(session, "L", band + 1, site=code)
        assert (edge.arrival_minutes, edge.response_limit_minutes) == (band, band)
        assert edge.arrived_within_response is True
        assert (late.arrival_minutes, late.arrived_within_response) == (band + 1, False)


def test_spare_on_site_within_240_minutes_edge(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        edge = one(session, "E", 240, site="SY-B300")
        late = one(session, "L", 241, site="SY-B300")
        assert edge.spare_on_site_within_deadline is True
        assert (edge.arrived_within_response, late.arrived_within_response) == (True, True)
        assert late.spare_on_site_within_deadline is False


def test_arrival_minutes_round_down_and_the_clock_is_null_without_an_arrival(
    db: Database,
) -> None:
    sla = replacements.clock(
        fault_reported_at=OCT_15,
        arrived_at=OCT_15 + timedelta(minutes=30, seconds=59),
        replaced_at=OCT_15 + timedelta(hours=1),
        band_minutes=30,
        deadline_minutes=240,
    )
    assert (sla.arrival_minutes, sla.arrived_within_response) == (30, True)
    with db.transaction() as session:
        band_sites(session)
        none = one(session, "N", None)
        assert none.arrival_minutes is None
        assert none.response_limit_minutes is None
        assert none.arrived_within_response is None
        assert none.spare_on_site_within_deadline is None
        assert none.duration_minutes == 20


def test_the_limit_is_the_band_when_recorded(db: Database) -> None:
    from inventory_service.assets import places
    from models.place import SiteUpdate

    with db.transaction() as session:
        band_sites(session)
        before = one(session, "A", 50, site="SY-B60")
        places.update_site(
            session, actor=ADMIN, code="SY-B60", data=SiteUpdate(distance_km_override=5.0)
        )
        after = one(session, "B", 50, site="SY-B60")
        read = replacements.get(session, actor=ADMIN, replacement_id=before.id or 0)
    assert (read.response_limit_minutes, read.arrived_within_response) == (60, True)
    assert (after.response_limit_minutes, after.arrived_within_response) == (30, False)


def test_summary_shares_count_only_rows_with_an_arrival(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        one(session, "A", 30)  # on time, spare on time
        one(session, "B", 31)  # late, spare on time
        one(session, "C", 250, site="SY-B300")  # on time (300), spare late
        one(session, "D", None)
        one(session, "E", None)
        report = reports.replacement_report(
            session, actor=ADMIN, period=periods.parse_period(month="2026-10")
        )
    s = report.summary
    assert s.count == 5
    assert s.arrival_missing == 2
    assert s.share_arrived_within_response == pytest.approx(2 / 3)
    assert s.share_spare_on_site_within_deadline == pytest.approx(2 / 3)
    by_serial = {r.removed_serial: r for r in report.rows}
    assert by_serial["OLD-B"].arrival_minutes == 31
    assert by_serial["OLD-B"].arrived_within_response is False
    assert by_serial["OLD-D"].arrival_minutes is None


def test_shares_are_null_when_no_row_has_an_arrival(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        one(session, "D", None)
        report = reports.replacement_report(
            session, actor=ADMIN, period=periods.parse_period(month="2026-10")
        )
    assert report.summary.share_arrived_within_response is None
    assert report.summary.share_spare_on_site_within_deadline is None
    assert report.summary.arrival_missing == 1


def test_failure_rate_is_replacements_over_installed_annualised(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        one(session, "A", 30)
        one(session, "B", 30)
        # Two more PSUs installed at LNXX, one in a retired device (not counted), and one at
        # another customer (counted for staff, not in LNXX's scope).
        for serial in ("X1", "X2", "X3"):
            factories.device(
                session,
                f"D-{serial}",
                site_code="SY-B30",
                vendor="Dell",
                model="R750",
                components=[("PSU1", "PSU-750W", f"P-{serial}")],
            )
        factories.customer(session, "LNGRID")
        factories.site(session, "DL-01", customer_code="LNGRID")
        factories.device(
            session,
            "D-OTHER",
            site_code="DL-01",
            vendor="Dell",
            model="R750",
            components=[("PSU1", "PSU-750W", "P-OTHER")],
        )
        retired = session.exec(select(Device).where(Device.serial == "D-X3")).one()
        register.transition(session, retired, DeviceStatus.RETIRED, actor=ADMIN)
        # The quarter ends after today: the device retired today is retired at its end.
        quarter = periods.parse_period(quarter="2026-Q4")
        everyone = failures.part_failures(session, period=quarter, customer_id=None)
        lnxx = reports.replacement_report(
            session, actor=ADMIN, period=quarter, customer_code="LNXX"
        ).summary.failure_rate_by_part
        # October ended before the retirement: the device still counts for it.
        october = periods.parse_period(month="2026-10")
        in_october = failures.part_failures(session, period=october, customer_id=None)
    # Installed: the two replaced devices' new PSUs + X1 + X2 (+ the other customer's).
    assert everyone["PSU-750W"].replacements == 2
    assert everyone["PSU-750W"].installed == 5
    assert everyone["PSU-750W"].annualised_rate == pytest.approx(2 / 5 * 365.25 / 92)
    assert lnxx["PSU-750W"].installed == 4
    assert lnxx["PSU-750W"].annualised_rate == pytest.approx(2 / 4 * 365.25 / 92)
    assert in_october["PSU-750W"].installed == 6
    assert in_october["PSU-750W"].annualised_rate == pytest.approx(2 / 6 * 365.25 / 31)


def test_failure_rate_is_null_without_an_installed_base() -> None:
    assert failures.annualised_rate(3, 0, 92) is None
    assert failures.annualised_rate(3, 100, 92) == pytest.approx(3 / 100 * 365.25 / 92)


def test_a_quarter_carries_four_quarters_of_trend(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        one(session, "A", 30)
        factories.replacement_row(
            session,
            "Q3",
            replaced_at=datetime(2026, 8, 1, 4, 0, tzinfo=UTC),
            duration_minutes=60,
            site_code="SY-B30",
        )
        report = reports.replacement_report(
            session, actor=ADMIN, period=periods.parse_period(quarter="2026-Q4")
        )
    assert report.failure_trend is not None
    assert [q.quarter for q in report.failure_trend] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    q3, q4 = report.failure_trend[2].by_part, report.failure_trend[3].by_part
    assert (q3["PSU-750W"].replacements, q4["PSU-750W"].replacements) == (1, 1)
    assert q3["PSU-750W"].annualised_rate == pytest.approx(1 / 2 * 365.25 / 92)
    assert report.failure_trend[0].by_part == {}


def test_patch_completes_the_fault_record_and_keeps_the_history(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        row = one(session, "A", 30, site="SY-B30")
        rid = row.id or 0
        first = ReplacementUpdate(cause="电源老化", customer_engineer="张工")
        replacements.patch(session, actor=ADMIN, replacement_id=rid, data=first)
        second = ReplacementUpdate.model_validate({"cause": "电源电容老化", "process": None})
        replacements.patch(session, actor=ADMIN, replacement_id=rid, data=second)
        # Nothing changed: no history row.
        replacements.patch(session, actor=ADMIN, replacement_id=rid, data=second)
        page = replacements.edits(session, actor=ADMIN, replacement_id=rid, limit=50, cursor=None)
        read = replacements.get(session, actor=ADMIN, replacement_id=rid)
        count = len(session.exec(select(ReplacementEdit)).all())
    assert (read.cause, read.customer_engineer, read.process) == ("电源电容老化", "张工", None)
    assert count == 2
    changes = [{c.field: (c.before, c.after) for c in e.changes} for e in page.items]
    assert changes == [
        {"cause": (None, "电源老化"), "customer_engineer": (None, "张工")},
        {"cause": ("电源老化", "电源电容老化")},
    ]
    assert page.items[0].actor == ADMIN.actor
    customer = Caller(0, "LNXX", Role.CUSTOMER, customer_id=1, customer_code="LNXX")
    with db.session() as session, pytest.raises(Forbidden):
        replacements.edits(session, actor=customer, replacement_id=rid, limit=50, cursor=None)


def test_remote_support_must_fall_between_report_and_repair(db: Database) -> None:
    with db.transaction() as session:
        band_sites(session)
        row = one(session, "A", 30)
        early = ReplacementUpdate(remote_support_at=row.fault_reported_at - timedelta(minutes=1))
        with pytest.raises(ValidationFailed) as raised:
            replacements.patch(session, actor=ADMIN, replacement_id=row.id or 0, data=early)
        assert raised.value.details[0]["field"] == "remote_support_at"
        fine = ReplacementUpdate(remote_support_at=row.fault_reported_at + timedelta(minutes=5))
        done = replacements.patch(session, actor=ADMIN, replacement_id=row.id or 0, data=fine)
        assert done.remote_support_at == row.fault_reported_at + timedelta(minutes=5)
        with pytest.raises(NotFound):
            replacements.patch(session, actor=ADMIN, replacement_id=999_999, data=fine)


def test_compact_rows_have_the_api_rows_fields_in_order() -> None:
    from models.report import ReplacementReportRow

    assert reports.ReportRow._fields == tuple(ReplacementReportRow.model_fields)
