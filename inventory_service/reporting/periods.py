"""Report periods: a month, a quarter, or a range of local days in the service's time zone.

Rules: exactly one of month, quarter, or from and to; dates are local and both ends
inclusive; a period's UTC bounds are its first local midnight and the midnight after its
last day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from inventory_service.platform.errors import ValidationFailed
from inventory_service.platform.settings import get_settings

FIRST_YEAR, LAST_YEAR = 1900, 9998
MONTH: Final = re.compile(r"^(\d{4})-(\d{2})$")


QUARTER: Final = re.compile(r"^(\d{4})-Q([1-4])$")


DAY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    def days(self) -> int:
        """Days in the period, both ends included."""
        return (self.end - self.start).days + 1

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


def previous_quarters(period: Period, count: int) -> list[Period]:
    """The `count` quarters ending with `period`'s, oldest first (`period` must be a quarter)."""
    assert period.quarter is not None
    year, n = int(period.quarter[:4]), int(period.quarter[-1])
    labels = []
    for _ in range(count):
        labels.append(f"{year}-Q{n}")
        year, n = (year - 1, 4) if n == 1 else (year, n - 1)
    return [_quarter(label) for label in reversed(labels) if FIRST_YEAR <= int(label[:4])]


def last_month(today: date) -> str:
    """`YYYY-MM` of the month before `today`'s."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def default_month() -> str:
    """The month before this one, in the service's time zone (the report's default)."""
    zone = ZoneInfo(get_settings().time_zone)
    return last_month(datetime.now(UTC).astimezone(zone).date())
