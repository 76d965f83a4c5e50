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
    # Extensions: the record's id and exact time, and the display names of the codes.
    replacement_id: int
    replaced_at: dt.datetime
    customer_name: str
    site_name: str


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
    # Extensions.
    within_deadline_count: int
    by_customer: dict[str, int]
    repairs_sent: int = Field(description="repair orders sent to the vendor in the period")
    repairs_back: int = Field(description="repair orders closed in the period (either outcome)")
    repairs_back_repaired: int
    repairs_back_scrapped: int
    scrapped_units: int = Field(description="spare units written off in the period (the ledger)")


class ReplacementReport(ReadModel):
    month: str | None = Field(description="YYYY-MM when the period is a month, else null")
    quarter: str | None = Field(description="YYYY-Qn when the period is a quarter, else null")
    period: ReportPeriod
    deadline_minutes: int
    rows: list[ReplacementReportRow]
    summary: ReplacementReportSummary
