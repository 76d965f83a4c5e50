"""The replacement report (更换记录月报): its rows, summary and period as the API shows them."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from models.base import ReadModel


class ReportPeriod(ReadModel):
    """Local dates, both inclusive, in `time_zone`; `from` is a keyword, hence the alias."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    time_zone: str


class ReplacementReportRow(ReadModel):
    """One replacement; the first fourteen fields are the contract's columns, in its order."""

    date: dt.date
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
    # The SLA clock (the contract's addition): null without an arrival.
    arrival_minutes: int | None = None
    response_limit_minutes: int | None = None
    arrived_within_response: bool | None = None
    spare_on_site_within_deadline: bool | None = None
    # Extensions: the record's id and exact time, and the display names of the codes.
    replacement_id: int
    replaced_at: dt.datetime
    customer_name: str
    site_name: str


class PartFailureRate(ReadModel):
    """故障概率: how often a part fails, against how many of it are installed."""

    replacements: int
    installed: int
    annualised_rate: float | None


class ReplacementReportSummary(ReadModel):
    count: int
    by_part: dict[str, int]
    by_site: dict[str, int]
    by_fault_level: dict[str, int]
    median_duration_minutes: float | None = Field(
        description="statistics.median of duration_minutes; null without rows"
    )
    p90_duration_minutes: float | None = Field(
        description=(
            "statistics.quantiles(durations, n=10, method='inclusive')[-1] (linear "
            "interpolation between the closest ranks); the duration itself with one row; "
            "null without rows"
        )
    )
    share_within_deadline: float | None = Field(
        description="rows within the deadline / count (0..1); null without rows"
    )
    share_arrived_within_response: float | None = Field(
        description="rows that arrived within the site's response band / rows with an arrival "
        "and a band (0..1); null when none"
    )
    share_spare_on_site_within_deadline: float | None = Field(
        description="rows whose arrival_minutes ≤ the deadline / rows with an arrival (0..1); "
        "null when none"
    )
    arrival_missing: int = Field(description="rows without an arrival time")
    failure_rate_by_part: dict[str, PartFailureRate] = Field(
        description="For every part replaced in the period: replacements, the installed base "
        "(components of that part in devices in scope not retired at the end of the period) "
        "and replacements / installed × 365.25 / days in the period (null when installed is 0)"
    )
    # Extensions.
    within_deadline_count: int
    by_customer: dict[str, int]
    repairs_sent: int = Field(description="repair orders sent to the vendor in the period")
    repairs_back: int = Field(description="repair orders closed in the period (either outcome)")
    repairs_back_repaired: int
    repairs_back_scrapped: int
    scrapped_units: int = Field(description="spare units written off in the period (the ledger)")


class QuarterFailureRates(ReadModel):
    quarter: str
    by_part: dict[str, PartFailureRate]


class ReplacementReport(ReadModel):
    month: str | None = Field(description="YYYY-MM when the period is a month, else null")
    quarter: str | None = Field(description="YYYY-Qn when the period is a quarter, else null")
    period: ReportPeriod
    deadline_minutes: int
    rows: list[ReplacementReportRow]
    summary: ReplacementReportSummary
    failure_trend: list[QuarterFailureRates] | None = Field(
        default=None,
        description="For a quarter: the failure rate of each part replaced in it over the "
        "last four quarters, oldest first (故障概率趋势); null for other periods",
    )
