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
  within / count; all three are null without rows.
- Queries never write.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import ValidationFailed
from inventory_service.platform.progress import Progress
from inventory_service.platform.settings import get_settings
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
    ReplacementReport,
    ReplacementReportRow,
    ReplacementReportSummary,
    ReportPeriod,
)

MONTH: Final = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER: Final = re.compile(r"^(\d{4})-Q([1-4])$")
DAY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_YEAR, LAST_YEAR = 1900, 9998
SEVERITY: Final = [level.value for level in FaultLevel]
# Show progress on stderr only when a period is big enough to make someone wait.
PROGRESS_FROM_ROWS: Final = 20_000
ONE_OF: Final = "give exactly one of month, quarter, or from and to"


@dataclass(frozen=True)
class Period:
    """Local dates `start`..`end`, both inclusive; `month`/`quarter` name it when it is one."""

    start: date
    end: date
    month: str | None = None
    quarter: str | None = None

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[first local midnight, the midnight after the last day) as UTC instants."""
        first = datetime.combine(self.start, time(0), tzinfo=zone)
        after = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return first.astimezone(UTC), after.astimezone(UTC)

    @property
    def label(self) -> str:
        """`2026-10`, `2026-Q4` or `2026-10-01_2026-10-15` (file names, titles)."""
        return self.month or self.quarter or f"{self.start.isoformat()}_{self.end.isoformat()}"


def _year(field: str, year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.field(field, f"year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return year


def _month(text: str) -> Period:
    match = MONTH.match(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValidationFailed.field("month", "expected YYYY-MM, e.g. 2026-10")
    year, month = _year("month", int(match[1])), int(match[2])
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), following - timedelta(days=1), month=text)


def _quarter(text: str) -> Period:
    match = QUARTER.match(text)
    if match is None:
        raise ValidationFailed.field("quarter", "expected YYYY-Qn with n 1 to 4, e.g. 2026-Q4")
    year, n = _year("quarter", int(match[1])), int(match[2])
    following = date(year + 1, 1, 1) if n == 4 else date(year, 3 * n + 1, 1)
    return Period(date(year, 3 * n - 2, 1), following - timedelta(days=1), quarter=text)


def _day(field: str, text: str) -> date:
    try:
        if DAY.match(text) is None:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.field(field, "expected a date YYYY-MM-DD") from None
    _year(field, day.year)
    return day


def parse_period(
    *,
    month: str | None = None,
    quarter: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Period:
    """The period named by exactly one of month, quarter or from+to (else 422 naming it)."""
    kinds = [
        name
        for name, given in (
            ("month", month is not None),
            ("quarter", quarter is not None),
            ("from", date_from is not None or date_to is not None),
        )
        if given
    ]
    if not kinds:
        raise ValidationFailed("month: " + ONE_OF, details=[{"field": "month", "reason": ONE_OF}])
    if len(kinds) > 1:
        extra = [{"field": name, "reason": ONE_OF} for name in kinds[1:]]
        raise ValidationFailed(f"{', '.join(kinds)}: {ONE_OF}", details=extra)
    if month is not None:
        return _month(month)
    if quarter is not None:
        return _quarter(quarter)
    if date_from is None:
        raise ValidationFailed.field("from", "required with to")
    if date_to is None:
        raise ValidationFailed.field("to", "required with from")
    start, end = _day("from", date_from), _day("to", date_to)
    if end < start:
        raise ValidationFailed.field("to", "must not be before from")
    return Period(start, end)


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
) -> list[ReplacementReportRow]:
    total = None
    if progress:
        counted = _row_query(start, end, customer_id).with_only_columns(func.count()).order_by(None)
        total = session.execute(counted).scalar_one()
    rows: list[ReplacementReportRow] = []
    enabled = progress and (total or 0) >= PROGRESS_FROM_ROWS
    with Progress("replacement report", total=total, enabled=enabled) as bar:
        stmt = _row_query(start, end, customer_id).execution_options(yield_per=2000)
        result = session.execute(stmt)
        for r in result:
            # Typed columns straight from the database: no validation needed per row.
            rows.append(
                ReplacementReportRow.model_construct(
                    date=r[1].astimezone(zone).date(),
                    customer=r[2],
                    site=r[4],
                    device_serial=r[6],
                    part_number=r[7],
                    part_name=r[8],
                    removed_serial=r[9],
                    installed_serial=r[10],
                    reason=r[11],
                    fault_level=r[12],
                    fault_impact=r[13],
                    duration_minutes=r[14],
                    within_deadline=r[15],
                    engineer=r[16],
                    replacement_id=r[0],
                    replaced_at=r[1],
                    customer_name=r[3],
                    site_name=r[5],
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


def summarize(rows: Sequence[ReplacementReportRow], **extra: int) -> ReplacementReportSummary:
    """The contract's summary of `rows` (plus the repair and scrap counts given)."""
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
        within_deadline_count=within,
        by_customer=_by_count(Counter(r.customer for r in rows)),
        **extra,
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
    cfg = get_settings()
    zone = ZoneInfo(cfg.time_zone)
    customer_id = _scope_customer(session, actor, customer_code)
    start, end = period.utc_bounds(zone)
    rows = _rows(
        session, start=start, end=end, customer_id=customer_id, zone=zone, progress=progress
    )
    extra = _repairs_and_scrap(session, start=start, end=end, customer_id=customer_id)
    return ReplacementReport(
        month=period.month,
        quarter=period.quarter,
        period=ReportPeriod.model_validate(
            {"from": period.start, "to": period.end, "time_zone": cfg.time_zone}
        ),
        deadline_minutes=cfg.deadline_minutes,
        rows=rows,
        summary=summarize(rows, **extra),
    )
