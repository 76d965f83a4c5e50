"""The replacement report's columns and headings in both languages, its CSV, and the tables
its charts draw from (shared by the workbook and the console's SVG charts).

Rules: the columns are the contract's, in its order; CSV is UTF-8 with a BOM, its English
heading row the JSON field names, its Chinese one the contract's headings; no CSV text becomes
a formula (`platform.spreadsheets`: text starting with `=`, `+`, `-`, `@`, a tab or a CR gets a
leading `'`). Nothing here touches the database.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final

from inventory_service.platform import spreadsheets
from inventory_service.platform.lang import Lang
from inventory_service.reporting.reports import ReportData, ReportRow

COLUMNS: Final = (
    ("date", "Date", "更换日期"),
    ("customer", "Customer", "客户"),
    ("site", "Site", "站点"),
    ("device_serial", "Device serial", "设备序列号"),
    ("part_number", "Part number", "备件编号"),
    ("part_name", "Part name", "备件名称"),
    ("removed_serial", "Removed serial", "拆下序列号"),
    ("installed_serial", "Installed serial", "换上序列号"),
    ("reason", "Reason", "更换原因"),
    ("fault_level", "Fault level", "故障级别"),
    ("fault_impact", "Fault impact", "故障影响"),
    ("duration_minutes", "Duration (minutes)", "更换时长(分钟)"),
    ("within_deadline", "Within deadline", "是否在时限内"),
    ("engineer", "Engineer", "工程师"),
    ("arrival_minutes", "Arrival (minutes)", "到场时长(分钟)"),
    ("response_limit_minutes", "Response limit (minutes)", "响应时限(分钟)"),
    ("arrived_within_response", "Arrived within response", "是否按时到场"),
    ("spare_on_site_within_deadline", "Spare on site within deadline", "备件是否按时到场"),
)


BUCKET_CEILINGS: Final = (30, 60, 120, 180, 240, 300, 480)


NUMBERS: Final = ("duration_minutes", "arrival_minutes", "response_limit_minutes")


MARKS: Final = ("within_deadline", "arrived_within_response", "spare_on_site_within_deadline")


NOT_TEXT: Final = frozenset({"date", *NUMBERS, *MARKS})


TEXT: Final[dict[str, tuple[str, str]]] = {
    "records": ("Replacements", "更换记录"),
    "summary": ("Summary", "汇总"),
    "charts": ("Charts", "图表"),
    "title": ("Spare replacement report", "备件更换报告"),
    "from": ("From", "起始日期"),
    "to": ("To", "截止日期"),
    "time_zone": ("Time zone", "时区"),
    "deadline_minutes": ("Deadline (minutes)", "时限(分钟)"),
    "count": ("Replacements", "更换次数"),
    "within_deadline_count": ("Within deadline", "时限内次数"),
    "share_within_deadline": ("Share within deadline", "时限内占比"),
    "median_duration_minutes": ("Median duration (minutes)", "更换时长中位数(分钟)"),
    "p90_duration_minutes": ("90th percentile duration (minutes)", "更换时长90分位(分钟)"),
    "repairs_sent": ("Repairs sent to vendor", "送修数"),
    "repairs_back": ("Repairs back from vendor", "返修返回数"),
    "repairs_back_repaired": ("  of which repaired", "  其中修复"),
    "repairs_back_scrapped": ("  of which scrapped", "  其中报废"),
    "scrapped_units": ("Units scrapped", "报废备件数"),
    "by_part": ("By part", "按备件"),
    "by_site": ("By site", "按站点"),
    "by_fault_level": ("By fault level", "按故障级别"),
    "by_customer": ("By customer", "按客户"),
    "n": ("Count", "次数"),
    "durations": ("Duration distribution", "更换时长分布"),
    "bucket": ("Minutes", "分钟"),
    "within": ("Within deadline", "时限内"),
    "beyond": ("Beyond deadline", "超时"),
    "weekly": ("Share within deadline by week", "每周时限内占比"),
    "week": ("Week from", "周起始"),
    "share": ("Share", "占比"),
    "no_rows": ("No replacements in this period.", "本期无更换记录。"),
    "share_arrived_within_response": ("Share arrived within response", "按时到场占比"),
    "share_spare_on_site_within_deadline": (
        "Share spare on site within deadline",
        "备件按时到场占比",
    ),
    "arrival_missing": ("Without an arrival time", "未记录到场时间"),
    "arrivals": ("Arrivals against the response limit", "到场时长对照响应时限"),
    "band": ("Response limit", "响应时限"),
    "on_time": ("On time", "按时"),
    "late": ("Late", "超时"),
    "no_band": ("beyond the bands", "超出范围"),
    "failure_rates": ("Failure rate by part (annualised)", "备件故障率(年化)"),
    "part": ("Part", "备件"),
    "installed": ("Installed", "在网数量"),
    "rate": ("Annualised rate", "年化故障率"),
    "trend": ("Failure rate, quarter over quarter", "故障概率趋势(按季度)"),
}


FIGURES: Final = (
    "count",
    "within_deadline_count",
    "share_within_deadline",
    "median_duration_minutes",
    "p90_duration_minutes",
    "share_arrived_within_response",
    "share_spare_on_site_within_deadline",
    "arrival_missing",
    "repairs_sent",
    "repairs_back",
    "repairs_back_repaired",
    "repairs_back_scrapped",
    "scrapped_units",
)


def heading(key: str, lang: Lang) -> str:
    return TEXT[key][1 if lang is Lang.ZH else 0]


def yes_no(value: bool, lang: Lang) -> str:
    if lang is Lang.ZH:
        return "是" if value else "否"
    return "yes" if value else "no"


def cell(row: ReportRow, field: str, lang: Lang) -> Any:
    value = getattr(row, field)
    if value is None:
        return ""
    return yes_no(value, lang) if isinstance(value, bool) else value


def to_csv(report: ReportData, lang: Lang) -> bytes:
    """UTF-8 CSV with a byte-order mark, one line per replacement."""
    buffer = io.StringIO()
    out = spreadsheets.csv_writer(buffer)
    out.writerow([c[2] if lang is Lang.ZH else c[0] for c in COLUMNS])
    for row in report.rows:
        out.writerow([cell(row, c[0], lang) for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def duration_buckets(rows: Sequence[ReportRow], deadline: int) -> list[tuple[str, int, int]]:
    """(label, within the deadline, beyond it) per bucket; bucket edges include the deadline."""
    ceilings = sorted({*BUCKET_CEILINGS, deadline})
    labels = [f"≤{ceilings[0]}"]
    labels += [f"{lo + 1}–{hi}" for lo, hi in zip(ceilings, ceilings[1:], strict=False)]
    labels.append(f">{ceilings[-1]}")
    counts = [0] * len(labels)
    for row in rows:
        index = next((i for i, c in enumerate(ceilings) if row.duration_minutes <= c), -1)
        counts[index] += 1
    within = [i < len(ceilings) and ceilings[i] <= deadline for i in range(len(labels))]
    return [
        (label, n if ok else 0, 0 if ok else n)
        for label, n, ok in zip(labels, counts, within, strict=True)
    ]


def weekly_shares(
    rows: Sequence[ReportRow], start: date, end: date
) -> list[tuple[date, int, int, float | None]]:
    """(Monday, count, within deadline, share or None) for every week touching the period."""
    monday = start - timedelta(days=start.weekday())
    weeks: dict[date, list[int]] = {}
    while monday <= end:
        weeks[monday] = [0, 0]
        monday += timedelta(days=7)
    for row in rows:
        week = weeks[row.date - timedelta(days=row.date.weekday())]
        week[0] += 1
        week[1] += int(row.within_deadline)
    return [(w, n, ok, ok / n if n else None) for w, (n, ok) in weeks.items()]


def arrivals_by_band(rows: Sequence[ReportRow]) -> list[tuple[int | None, int, int]]:
    """(response limit, on time, late) per band of the rows with an arrival, smallest first;
    a site beyond every band (no limit) comes last with its arrivals counted as neither."""
    bands: dict[int | None, list[int]] = {}
    for row in rows:
        if row.arrival_minutes is None:
            continue
        counts = bands.setdefault(row.response_limit_minutes, [0, 0])
        if row.arrived_within_response is not None:
            counts[0 if row.arrived_within_response else 1] += 1
    order = sorted(bands, key=lambda band: (band is None, band or 0))
    return [(band, bands[band][0], bands[band][1]) for band in order]
