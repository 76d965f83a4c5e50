"""The replacement report as files: CSV for other programs, an Excel workbook for people.

Rules: the columns are the contract's, in its order; CSV is UTF-8 with a BOM (Excel on
Chinese Windows opens it correctly), its English heading row the JSON field names, its
Chinese one the contract's headings; the workbook has the records (frozen header,
autofilter, fitted widths, real dates), a summary sheet holding every figure and the tables
the charts draw from, and native Excel charts: replacements by part, the duration
distribution against the deadline, and the share within the deadline by week. Values stay
as recorded (fault levels are the contract's codes) except yes/no. Nothing here touches the
database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Final

import xlsxwriter

from inventory_service.warehouse.spares_export import Lang
from models.report import ReplacementReport, ReplacementReportRow


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


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
)
CONTENT_TYPE: Final = {
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Bucket ceilings (minutes) of the duration chart; the deadline is always one of them.
BUCKET_CEILINGS: Final = (30, 60, 120, 180, 240, 300, 480)
WIDEST: Final = 60
WIDTH_SAMPLE: Final = 1000
NOT_TEXT: Final = frozenset({"date", "duration_minutes", "within_deadline"})
DURATION: Final = [c[0] for c in COLUMNS].index("duration_minutes")
WITHIN: Final = [c[0] for c in COLUMNS].index("within_deadline")

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
}
FIGURES: Final = (
    "count",
    "within_deadline_count",
    "share_within_deadline",
    "median_duration_minutes",
    "p90_duration_minutes",
    "repairs_sent",
    "repairs_back",
    "repairs_back_repaired",
    "repairs_back_scrapped",
    "scrapped_units",
)


def _t(key: str, lang: Lang) -> str:
    return TEXT[key][1 if lang is Lang.ZH else 0]


def _yes_no(value: bool, lang: Lang) -> str:
    if lang is Lang.ZH:
        return "是" if value else "否"
    return "yes" if value else "no"


def _cell(row: ReplacementReportRow, field: str, lang: Lang) -> Any:
    value = getattr(row, field)
    return _yes_no(value, lang) if isinstance(value, bool) else value


def to_csv(report: ReplacementReport, lang: Lang) -> bytes:
    """UTF-8 CSV with a byte-order mark, one line per replacement."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow([c[2] if lang is Lang.ZH else c[0] for c in COLUMNS])
    for row in report.rows:
        out.writerow([_cell(row, c[0], lang) for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _width(value: Any) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


def duration_buckets(
    rows: Sequence[ReplacementReportRow], deadline: int
) -> list[tuple[str, int, int]]:
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
    rows: Sequence[ReplacementReportRow], start: date, end: date
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


class _Book:
    """The workbook being written and its formats."""

    def __init__(self, buffer: io.BytesIO, lang: Lang) -> None:
        self.lang = lang
        self.wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.bold = self.wb.add_format({"bold": True})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.day = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.pct = self.wb.add_format({"num_format": "0.0%"})
        self.num = self.wb.add_format({"num_format": "0.#"})


def _records(book: _Book, report: ReplacementReport) -> None:
    sheet = book.wb.add_worksheet(_t("records", book.lang))
    heads = [c[2] if book.lang is Lang.ZH else c[1] for c in COLUMNS]
    sheet.write_row(0, 0, heads, book.head)
    widths = [_width(h) for h in heads]
    yes, no = _yes_no(True, book.lang), _yes_no(False, book.lang)
    texts = [(c, field) for c, (field, _, _) in enumerate(COLUMNS) if field not in NOT_TEXT]
    for r, row in enumerate(report.rows, start=1):
        sheet.write_datetime(r, 0, row.date, book.day)
        for c, field in texts:
            sheet.write_string(r, c, getattr(row, field))
        sheet.write_number(r, DURATION, row.duration_minutes)
        sheet.write_string(r, WITHIN, yes if row.within_deadline else no)
    # Widths from the first rows only: measuring every cell of a big period costs seconds.
    for row in report.rows[:WIDTH_SAMPLE]:
        for c, (field, _, _) in enumerate(COLUMNS):
            widths[c] = max(widths[c], _width(_cell(row, field, book.lang)))
    widths[0] = max(widths[0], 10)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(report.rows), 1), len(COLUMNS) - 1)
    for c, widest in enumerate(widths):
        sheet.set_column(c, c, min(max(widest + 2, 8), WIDEST))


def _table(
    book: _Book, sheet: Any, top: int, left: int, title: str, heads: list[str], rows: list[Any]
) -> int:
    """Write a titled table at (top, left); returns the row of its first data line."""
    sheet.write(top, left, title, book.bold)
    sheet.write_row(top + 1, left, heads, book.head)
    for r, values in enumerate(rows, start=top + 2):
        for c, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(r, left + c, value, book.day)
            elif isinstance(value, float):
                sheet.write_number(r, left + c, value, book.pct)
            elif value is None:
                sheet.write_blank(r, left + c, None)
            else:
                sheet.write(r, left + c, value)
    return top + 2


def to_xlsx(report: ReplacementReport, lang: Lang) -> bytes:
    """The workbook: records, summary (figures and chart tables) and charts."""
    buffer = io.BytesIO()
    book = _Book(buffer, lang)
    _records(book, report)
    summary = book.wb.add_worksheet(_t("summary", lang))
    charts = book.wb.add_worksheet(_t("charts", lang))
    s, label = report.summary, report.quarter or report.month
    period = report.period
    summary.write(0, 0, f"{_t('title', lang)} {label or ''}".strip(), book.title)
    lines: list[tuple[str, Any, Any]] = [
        ("from", period.from_, book.day),
        ("to", period.to, book.day),
        ("time_zone", period.time_zone, None),
        ("deadline_minutes", report.deadline_minutes, None),
    ]
    for key in FIGURES:
        value = getattr(s, key)
        fmt = book.pct if key == "share_within_deadline" else book.num
        lines.append((key, value, fmt))
    for r, (key, value, fmt) in enumerate(lines, start=2):
        summary.write(r, 0, _t(key, lang))
        if isinstance(value, date):
            summary.write_datetime(r, 1, value, fmt)
        elif value is None:
            summary.write(r, 1, "—")
        else:
            summary.write(r, 1, value, fmt)
    summary.set_column(0, 0, 30)
    summary.set_column(1, 1, 14)
    n = _t("n", lang)
    # Chart tables side by side, below the figures.
    top = len(lines) + 4
    sheet_name = _t("summary", lang)
    tables = [
        ("by_part", s.by_part),
        ("by_site", s.by_site),
        ("by_fault_level", s.by_fault_level),
        ("by_customer", s.by_customer),
    ]
    first_rows: dict[str, int] = {}
    for i, (key, counts) in enumerate(tables):
        left = 3 * i
        first_rows[key] = _table(
            book, summary, top, left, _t(key, lang), [_t(key, lang), n], list(counts.items())
        )
        summary.set_column(left, left, max(summary_width(counts), 14))
    buckets = duration_buckets(report.rows, report.deadline_minutes)
    bucket_left = 3 * len(tables)
    bucket_top = _table(
        book,
        summary,
        top,
        bucket_left,
        _t("durations", lang),
        [_t("bucket", lang), _t("within", lang), _t("beyond", lang)],
        [list(b) for b in buckets],
    )
    weeks = weekly_shares(report.rows, period.from_, period.to)
    week_left = bucket_left + 4
    week_top = _table(
        book,
        summary,
        top,
        week_left,
        _t("weekly", lang),
        [_t("week", lang), n, _t("within", lang), _t("share", lang)],
        [list(w) for w in weeks],
    )
    summary.set_column(week_left, week_left, 12)

    def ref(row: int, col: int, count: int) -> list[Any]:
        return [sheet_name, row, col, row + max(count, 1) - 1, col]

    if not report.rows:
        charts.write(0, 0, _t("no_rows", lang))
    by_part = book.wb.add_chart({"type": "bar"})
    by_part.add_series(
        {
            "name": _t("count", lang),
            "categories": ref(first_rows["by_part"], 0, len(s.by_part)),
            "values": ref(first_rows["by_part"], 1, len(s.by_part)),
            "data_labels": {"value": True},
        }
    )
    by_part.set_title({"name": _t("by_part", lang)})
    by_part.set_legend({"none": True})
    by_part.set_y_axis({"reverse": True})
    charts.insert_chart(1, 0, by_part, {"x_scale": 1.4, "y_scale": 1.2})

    durations = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    deadline = report.deadline_minutes
    colours = (("within", "#70AD47", 1), ("beyond", "#C00000", 2))
    for key, colour, col in colours:
        durations.add_series(
            {
                "name": f"{_t(key, lang)} ({'≤' if key == 'within' else '>'}{deadline})",
                "categories": ref(bucket_top, bucket_left, len(buckets)),
                "values": ref(bucket_top, bucket_left + col, len(buckets)),
                "fill": {"color": colour},
                "gap": 20,
            }
        )
    durations.set_title({"name": f"{_t('durations', lang)} — {deadline} min"})
    durations.set_x_axis({"name": _t("bucket", lang)})
    durations.set_y_axis({"name": n})
    durations.set_legend({"position": "bottom"})
    charts.insert_chart(1, 10, durations, {"x_scale": 1.4, "y_scale": 1.2})

    weekly = book.wb.add_chart({"type": "line"})
    weekly.add_series(
        {
            "name": _t("share", lang),
            "categories": ref(week_top, week_left, len(weeks)),
            "values": ref(week_top, week_left + 3, len(weeks)),
            "marker": {"type": "circle"},
        }
    )
    weekly.set_title({"name": _t("weekly", lang)})
    weekly.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
    weekly.set_x_axis({"date_axis": False, "num_format": "mm-dd"})
    weekly.set_legend({"none": True})
    weekly.show_blanks_as("gap")
    charts.insert_chart(20, 0, weekly, {"x_scale": 1.4, "y_scale": 1.2})
    charts.activate()
    book.wb.close()
    return buffer.getvalue()


def summary_width(counts: dict[str, int]) -> int:
    """Width of a table's key column."""
    return max((_width(key) + 2 for key in counts), default=0)


def render(report: ReplacementReport, fmt: ReportFormat, lang: Lang) -> bytes:
    """The CSV or XLSX file."""
    return to_csv(report, lang) if fmt is ReportFormat.CSV else to_xlsx(report, lang)


def filename(report: ReplacementReport, fmt: ReportFormat, lang: Lang) -> str:
    """An ASCII file name for Content-Disposition, e.g. `replacements-2026-10-zh.xlsx`."""
    label = report.month or report.quarter or f"{report.period.from_}_{report.period.to}"
    return f"replacements-{label}-{lang.value}.{fmt.value}"
