"""The replacement report (更换记录月报) behind the contract's monthly and quarterly summaries.

Rules that always hold here:
- A period is exactly one of a month (YYYY-MM), a quarter (YYYY-Qn) or a range of local dates
  (from, to: YYYY-MM-DD, both inclusive); anything else is a 422 naming the field.
- A replacement belongs to the period when its `replaced_at` falls inside it, the period's
  edges being local midnights in `settings.time_zone` (default Asia/Shanghai): a replacement
  at 23:30 on 31 October Shanghai time is October's, one at 00:10 on 1 November is November's.
- One row per replacement, oldest first (replaced_at, then id); `date` is the local date.
- A `customer` caller gets only its own customer's rows, and its summary counts only them; its
  repair and scrap figures count only units removed from its own devices. The scope is in
  the query. A `customer_code` filter narrows the same way; a code the caller may not see is
  answered like an unknown one, so existence does not leak.
- Summary: median = `statistics.median`; p90 = `statistics.quantiles(n=10,
  method="inclusive")[-1]` (the value itself with one row); the share within the deadline is
  within / count; all three are null without rows. The arrival shares count only rows whose
  mark is known (an arrival, and for the response share a band); null when none is.
- Failure rate of a part = replacements in the period / components of it installed in
  devices in scope not retired at the period's end × 365.25 / days in the period (null when
  none is installed); listed highest rate first.
- Queries never write.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import ValidationFailed
from inventory_service.platform.progress import Progress
from inventory_service.platform.settings import get_settings
from inventory_service.reporting.failures import FailureLine, failure_trend, part_failures
from inventory_service.reporting.periods import FIRST_YEAR, Period, parse_period, previous_quarters
from models import (
    Customer,
    Device,
    FaultLevel,
    Movement,
    Part,
    RepairOrder,
    RepairStatus,
    Replacement,
    Site,
    UnitStatus,
)
from models.report import (
    PartFailureRate,
    QuarterFailureRates,
    ReplacementReport,
    ReplacementReportRow,
    ReplacementReportSummary,
    ReportPeriod,
)

SEVERITY: Final = [level.value for level in FaultLevel]
# Show progress on stderr only when a period is big enough to make someone wait.
PROGRESS_FROM_ROWS: Final = 20_000
# The quarterly summary's failure trend looks back over a year.


class ReportRow(NamedTuple):
    """One row as the report keeps it: a tuple with `ReplacementReportRow`'s fields, in its
    order (a year of rows as pydantic models took 4 KB each; a tuple with its repeated texts
    shared takes a tenth of that)."""

    date: date
    customer: str
    site: str
    device_serial: str
    part_number: str
    part_name: str
    removed_serial: str
    installed_serial: str
    reason: str
    fault_level: str
    fault_impact: str
    duration_minutes: int
    within_deadline: bool
    engineer: str
    arrival_minutes: int | None
    response_limit_minutes: int | None
    arrived_within_response: bool | None
    spare_on_site_within_deadline: bool | None
    replacement_id: int
    replaced_at: datetime
    customer_name: str
    site_name: str


# Shared by every row built from a tuple (rows are never assigned to, so it never changes).
ROW_FIELDS: Final[set[str]] = set(ReportRow._fields)


@dataclass
class ReportData:
    """The report with compact rows (files are written from it); `read` is the API's model."""

    month: str | None
    quarter: str | None
    period: ReportPeriod
    deadline_minutes: int
    rows: list[ReportRow]
    summary: ReplacementReportSummary
    failure_trend: list[QuarterFailureRates] | None

    def read(self) -> ReplacementReport:
        """The report as JSON and GraphQL answer it."""
        return ReplacementReport(
            month=self.month,
            quarter=self.quarter,
            period=self.period,
            deadline_minutes=self.deadline_minutes,
            # Typed columns straight from the database: no validation needed per row.
            rows=[
                ReplacementReportRow.model_construct(ROW_FIELDS, **r._asdict()) for r in self.rows
            ],
            summary=self.summary,
            failure_trend=self.failure_trend,
        )


def median(durations: Sequence[int]) -> float | None:
    """`statistics.median`; null without data."""
    return float(statistics.median(durations)) if durations else None


def p90(durations: Sequence[int]) -> float | None:
    """The 90th percentile: `quantiles(n=10, method="inclusive")[-1]`; null without data."""
    if len(durations) < 2:
        return float(durations[0]) if durations else None
    return statistics.quantiles(durations, n=10, method="inclusive")[-1]


def _by_count(counter: Counter[str]) -> dict[str, int]:
    """Most first, then by key: the order charts and tables show them in."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _scope_customer(session: Session, actor: Caller, customer_code: str | None) -> int | None:
    """The customer id the report is limited to, or None for every customer."""
    if customer_code is None:
        return policy.customer_of(actor)
    found = session.exec(select(Customer.id).where(Customer.code == customer_code)).first()
    if found is None or not policy.owns(actor, found):
        raise ValidationFailed.field("customer_code", f"unknown customer {customer_code!r}")
    return found


def _row_query(start: datetime, end: datetime, customer_id: int | None) -> Any:
    stmt = (
        sa_select(
            col(Replacement.id),
            col(Replacement.replaced_at),
            col(Customer.code),
            col(Customer.name),
            col(Site.code),
            col(Site.name),
            col(Device.serial),
            col(Part.part_number),
            col(Part.name),
            col(Replacement.removed_serial),
            col(Replacement.installed_serial),
            col(Replacement.reason),
            col(Replacement.fault_level),
            col(Replacement.fault_impact),
            col(Replacement.duration_minutes),
            col(Replacement.within_deadline),
            col(Replacement.engineer),
            col(Replacement.arrival_minutes),
            col(Replacement.response_limit_minutes),
            col(Replacement.arrived_within_response),
            col(Replacement.spare_on_site_within_deadline),
        )
        .join(Customer, col(Customer.id) == col(Replacement.customer_id))
        .join(Site, col(Site.id) == col(Replacement.site_id))
        .join(Device, col(Device.id) == col(Replacement.device_id))
        .join(Part, col(Part.id) == col(Replacement.part_id))
        .where(col(Replacement.replaced_at) >= start, col(Replacement.replaced_at) < end)
        .order_by(col(Replacement.replaced_at), col(Replacement.id))
    )
    if customer_id is not None:
        stmt = stmt.where(col(Replacement.customer_id) == customer_id)
    return stmt


def _rows(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    customer_id: int | None,
    zone: ZoneInfo,
    progress: bool,
) -> list[ReportRow]:
    total = None
    if progress:
        counted = _row_query(start, end, customer_id).with_only_columns(func.count()).order_by(None)
        total = session.execute(counted).scalar_one()
    rows: list[ReportRow] = []
    enabled = progress and (total or 0) >= PROGRESS_FROM_ROWS
    shared: dict[str, str] = {}
    texts = (2, 3, 4, 5, 7, 8, 11, 12, 13, 16)  # customer, site, part, reason, ...: repeated
    with Progress("replacement report", total=total, enabled=enabled) as bar:
        stmt = _row_query(start, end, customer_id).execution_options(yield_per=2000)
        result = session.execute(stmt)
        for r in result:
            v = list(r)
            for i in texts:
                v[i] = shared.setdefault(v[i], v[i])
            rows.append(
                ReportRow(
                    v[1].astimezone(zone).date(),
                    v[2],
                    v[4],
                    v[6],
                    v[7],
                    v[8],
                    v[9],
                    v[10],
                    v[11],
                    v[12],
                    v[13],
                    v[14],
                    v[15],
                    v[16],
                    v[17],
                    v[18],
                    v[19],
                    v[20],
                    v[0],
                    v[1],
                    v[3],
                    v[5],
                )
            )
            bar.advance()
    return rows


def _removed_from(customer_id: int) -> Any:
    """Units taken out of the customer's devices (its share of repairs and scrapping)."""
    return select(Replacement.removed_spare_id).where(Replacement.customer_id == customer_id)


def _count(session: Session, stmt: Any) -> int:
    return int(session.execute(stmt).scalar_one())


def _repairs_and_scrap(
    session: Session, *, start: datetime, end: datetime, customer_id: int | None
) -> dict[str, int]:
    def scoped(stmt: Any, spare_id: Any) -> Any:
        return stmt if customer_id is None else stmt.where(spare_id.in_(_removed_from(customer_id)))

    repairs = sa_select(func.count()).select_from(RepairOrder)
    sent = scoped(
        repairs.where(col(RepairOrder.sent_at) >= start, col(RepairOrder.sent_at) < end),
        col(RepairOrder.spare_id),
    )
    back = scoped(
        repairs.where(col(RepairOrder.received_at) >= start, col(RepairOrder.received_at) < end),
        col(RepairOrder.spare_id),
    )
    scrapped = scoped(
        sa_select(func.count(distinct(col(Movement.spare_id)))).where(
            col(Movement.to_status) == UnitStatus.SCRAPPED.value,
            col(Movement.at) >= start,
            col(Movement.at) < end,
        ),
        col(Movement.spare_id),
    )
    return {
        "repairs_sent": _count(session, sent),
        "repairs_back": _count(session, back),
        "repairs_back_repaired": _count(
            session, back.where(col(RepairOrder.status) == RepairStatus.REPAIRED.value)
        ),
        "repairs_back_scrapped": _count(
            session, back.where(col(RepairOrder.status) == RepairStatus.SCRAPPED.value)
        ),
        "scrapped_units": _count(session, scrapped),
    }


def _share(marks: Sequence[bool | None]) -> float | None:
    """True marks / marks that are not null; null when none are."""
    known = [m for m in marks if m is not None]
    return sum(known) / len(known) if known else None


def top_failures(
    session: Session, *, actor: Caller, quarter: str, customer_code: str | None, top: int
) -> list[FailureLine]:
    """The `top` parts with the highest annualised failure rate in a quarter (and the rate of
    each in the quarter before), as `report failures` prints them."""
    if top < 1:
        raise ValidationFailed.field("top", "must be at least 1")
    period = parse_period(quarter=quarter)
    customer_id = _scope_customer(session, actor, customer_code)
    before, _ = previous_quarters(period, 2) if period.start.year > FIRST_YEAR else (None, None)
    rates = part_failures(session, period=period, customer_id=customer_id)
    earlier = (
        {} if before is None else part_failures(session, period=before, customer_id=customer_id)
    )
    chosen = list(rates.items())[:top]
    names = dict(
        session.exec(
            select(Part.part_number, Part.name).where(
                col(Part.part_number).in_([pn for pn, _ in chosen])
            )
        ).all()
    )
    return [
        FailureLine(
            part_number=pn,
            part_name=names.get(pn, ""),
            replacements=rate.replacements,
            installed=rate.installed,
            annualised_rate=rate.annualised_rate,
            previous_rate=earlier[pn].annualised_rate if pn in earlier else None,
        )
        for pn, rate in chosen
    ]


def summarize(
    rows: Sequence[ReportRow] | Sequence[ReplacementReportRow],
    *,
    failure_rate_by_part: dict[str, PartFailureRate] | None = None,
    **extra: int,
) -> ReplacementReportSummary:
    """The contract's summary of `rows` (plus the failure rates, repair and scrap counts)."""
    durations = [r.duration_minutes for r in rows]
    within = sum(1 for r in rows if r.within_deadline)
    levels = Counter(r.fault_level for r in rows)
    return ReplacementReportSummary(
        count=len(rows),
        by_part=_by_count(Counter(r.part_number for r in rows)),
        by_site=_by_count(Counter(r.site for r in rows)),
        by_fault_level={
            level: levels[level]
            for level in sorted(levels, key=lambda x: SEVERITY.index(x) if x in SEVERITY else 99)
        },
        median_duration_minutes=median(durations),
        p90_duration_minutes=p90(durations),
        share_within_deadline=within / len(rows) if rows else None,
        share_arrived_within_response=_share([r.arrived_within_response for r in rows]),
        share_spare_on_site_within_deadline=_share([r.spare_on_site_within_deadline for r in rows]),
        arrival_missing=sum(1 for r in rows if r.arrival_minutes is None),
        failure_rate_by_part=failure_rate_by_part or {},
        within_deadline_count=within,
        by_customer=_by_count(Counter(r.customer for r in rows)),
        **extra,
    )


def report_data(
    session: Session,
    *,
    actor: Caller,
    period: Period,
    customer_code: str | None = None,
    progress: bool = False,
) -> ReportData:
    """The replacements of `period` the caller may see, and their summary (compact rows)."""
    policy.authorize(actor, policy.Operation.READ_REPORTS)
    cfg = get_settings()
    zone = ZoneInfo(cfg.time_zone)
    customer_id = _scope_customer(session, actor, customer_code)
    start, end = period.utc_bounds(zone)
    rows = _rows(
        session, start=start, end=end, customer_id=customer_id, zone=zone, progress=progress
    )
    extra = _repairs_and_scrap(session, start=start, end=end, customer_id=customer_id)
    rates = part_failures(session, period=period, customer_id=customer_id)
    trend = None
    if period.quarter is not None:
        trend = failure_trend(session, period=period, customer_id=customer_id, parts=list(rates))
    return ReportData(
        month=period.month,
        quarter=period.quarter,
        period=ReportPeriod.model_validate(
            {"from": period.start, "to": period.end, "time_zone": cfg.time_zone}
        ),
        deadline_minutes=cfg.deadline_minutes,
        rows=rows,
        summary=summarize(rows, failure_rate_by_part=rates, **extra),
        failure_trend=trend,
    )


def replacement_report(
    session: Session,
    *,
    actor: Caller,
    period: Period,
    customer_code: str | None = None,
    progress: bool = False,
) -> ReplacementReport:
    """The replacements of `period` the caller may see, and their summary."""
    return report_data(
        session, actor=actor, period=period, customer_code=customer_code, progress=progress
    ).read()
