"""The replacement report as files: CSV for other programs, an Excel workbook for people.

Rules: the columns are the contract's, in its order; CSV is UTF-8 with a BOM (Excel on
Chinese Windows opens it correctly), its English heading row the JSON field names, its
Chinese one the contract's headings; the workbook has the records (frozen header,
autofilter, fitted widths, real dates), a summary sheet holding every figure and the tables
the charts draw from, and native Excel charts: replacements by part, the duration
distribution against the deadline, the share within the deadline by week, arrivals against
their response limit (on time / late by band), the failure rate by part and, for a quarter,
the failure rate quarter over quarter. Values stay as recorded (fault levels are the
contract's codes) except yes/no. Text never becomes a formula (`platform.spreadsheets`):
XLSX text cells are strings, CSV text starting with `=`, `+`, `-`, `@`, a tab or a CR gets a
leading `'`. The workbook is written in constant-memory mode (rows top to bottom). Nothing
here touches the database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

from inventory_service.platform import spreadsheets
from inventory_service.platform.lang import Lang
from inventory_service.reporting.report_tables import (
    COLUMNS,
    FIGURES,
    MARKS,
    NUMBERS,
    arrivals_by_band,
    cell,
    duration_buckets,
    heading,
    to_csv,
    weekly_shares,
    yes_no,
)
from inventory_service.reporting.reports import ReportData, ReportRow
from models.report import ReplacementReportSummary


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


CONTENT_TYPE: Final = {
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Bucket ceilings (minutes) of the duration chart; the deadline is always one of them.
WIDEST: Final = 60
WIDTH_SAMPLE: Final = 1000
# A CSV cell starting with one of these would be run as a formula by a spreadsheet.


def _width(value: Any) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


class _Book:
    """The workbook being written and its formats.

    Written in xlsxwriter's `constant_memory` mode: each row goes to a temporary file as soon
    as the next one starts, so a year of records costs no more memory than a month. Rows must
    therefore be written top to bottom; the summary sheet is gathered in a `_Grid` first."""

    def __init__(self, buffer: io.BytesIO, lang: Lang) -> None:
        self.lang = lang
        self.wb = spreadsheets.workbook(buffer, constant_memory=True)
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.bold = self.wb.add_format({"bold": True})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.day = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.pct = self.wb.add_format({"num_format": "0.0%"})
        self.num = self.wb.add_format({"num_format": "0.#"})
        self.rate = self.wb.add_format({"num_format": "0.000"})

    def t(self, key: str) -> str:
        return heading(key, self.lang)


class _Grid:
    """Cells of a small sheet gathered in any order, then written row by row."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[Any, Any]] = {}

    def put(self, row: int, col: int, value: Any, fmt: Any = None) -> None:
        self.cells[(row, col)] = (value, fmt)

    def write(self, sheet: Any) -> None:
        for (row, col), (value, fmt) in sorted(self.cells.items()):
            if isinstance(value, date):
                sheet.write_datetime(row, col, value, fmt)
            elif value is None:
                sheet.write_blank(row, col, None, fmt)
            elif isinstance(value, str):
                sheet.write_string(row, col, value, fmt)
            else:
                sheet.write_number(row, col, value, fmt)


def _record_cells(book: _Book, sheet: Any, r: int, row: ReportRow) -> None:
    yes, no = yes_no(True, book.lang), yes_no(False, book.lang)
    for c, (field, _, _) in enumerate(COLUMNS):
        value = getattr(row, field)
        if field == "date":
            sheet.write_datetime(r, c, value, book.day)
        elif value is None:
            continue
        elif field in MARKS:
            sheet.write_string(r, c, yes if value else no)
        elif field in NUMBERS:
            sheet.write_number(r, c, value)
        else:
            sheet.write_string(r, c, value)


def _records(book: _Book, report: ReportData) -> None:
    sheet = book.wb.add_worksheet(book.t("records"))
    heads = [c[2] if book.lang is Lang.ZH else c[1] for c in COLUMNS]
    widths = [_width(h) for h in heads]
    # Widths from the first rows only: measuring every cell of a big period costs seconds.
    for row in report.rows[:WIDTH_SAMPLE]:
        for c, (field, _, _) in enumerate(COLUMNS):
            widths[c] = max(widths[c], _width(cell(row, field, book.lang)))
    widths[0] = max(widths[0], 10)
    for c, widest in enumerate(widths):
        sheet.set_column(c, c, min(max(widest + 2, 8), WIDEST))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(report.rows), 1), len(COLUMNS) - 1)
    sheet.repeat_rows(0)
    _print_on_one_page(sheet, wide=1, tall=0)
    sheet.write_row(0, 0, heads, book.head)
    for r, row in enumerate(report.rows, start=1):
        _record_cells(book, sheet, r, row)


def _table(
    book: _Book, grid: _Grid, top: int, left: int, title: str, heads: list[str], rows: list[Any]
) -> int:
    """Put a titled table at (top, left); returns the row of its first data line."""
    grid.put(top, left, title, book.bold)
    for c, head in enumerate(heads):
        grid.put(top + 1, left + c, head, book.head)
    for r, values in enumerate(rows, start=top + 2):
        for c, value in enumerate(values):
            fmt = book.day if isinstance(value, date) else None
            if isinstance(value, float):
                fmt = book.pct
            grid.put(r, left + c, value, fmt)
    return top + 2


def _figures(book: _Book, grid: _Grid, report: ReportData) -> int:
    """The title and every figure of the summary; returns the row after them."""
    s, period = report.summary, report.period
    label = report.quarter or report.month
    grid.put(0, 0, f"{book.t('title')} {label or ''}".strip(), book.title)
    lines: list[tuple[str, Any, Any]] = [
        ("from", period.from_, book.day),
        ("to", period.to, book.day),
        ("time_zone", period.time_zone, None),
        ("deadline_minutes", report.deadline_minutes, None),
    ]
    for key in FIGURES:
        lines.append((key, getattr(s, key), book.pct if key.startswith("share") else book.num))
    for r, (key, value, fmt) in enumerate(lines, start=2):
        grid.put(r, 0, book.t(key))
        grid.put(r, 1, "—" if value is None else value, None if value is None else fmt)
    return len(lines) + 2


@dataclass
class _Ref:
    """Where a chart's table sits on the summary sheet: first data row, left column, rows."""

    top: int
    left: int
    count: int

    def column(self, sheet: str, offset: int) -> list[Any]:
        last = self.top + max(self.count, 1) - 1
        return [sheet, self.top, self.left + offset, last, self.left + offset]


def _count_tables(book: _Book, grid: _Grid, s: ReplacementReportSummary, top: int) -> _Ref:
    """By part, site, fault level and customer side by side; returns the by-part table."""
    tables = [
        ("by_part", s.by_part),
        ("by_site", s.by_site),
        ("by_fault_level", s.by_fault_level),
        ("by_customer", s.by_customer),
    ]
    first = 0
    for i, (key, counts) in enumerate(tables):
        heads = [book.t(key), book.t("n")]
        row = _table(book, grid, top, 3 * i, book.t(key), heads, list(counts.items()))
        first = first or row
    return _Ref(first, 0, len(s.by_part))


def _chart_tables(book: _Book, grid: _Grid, report: ReportData, top: int) -> dict[str, _Ref]:
    """The tables the charts draw from, left to right below the figures."""
    refs = {"by_part": _count_tables(book, grid, report.summary, top)}
    left = 12
    buckets = duration_buckets(report.rows, report.deadline_minutes)
    heads = [book.t("bucket"), book.t("within"), book.t("beyond")]
    row = _table(book, grid, top, left, book.t("durations"), heads, [list(b) for b in buckets])
    refs["durations"] = _Ref(row, left, len(buckets))
    left += 4
    weeks = weekly_shares(report.rows, report.period.from_, report.period.to)
    heads = [book.t("week"), book.t("n"), book.t("within"), book.t("share")]
    row = _table(book, grid, top, left, book.t("weekly"), heads, [list(w) for w in weeks])
    refs["weekly"] = _Ref(row, left, len(weeks))
    left += 5
    arrivals = [
        [book.t("no_band") if band is None else f"≤{band}", on_time, late]
        for band, on_time, late in arrivals_by_band(report.rows)
    ]
    heads = [book.t("band"), book.t("on_time"), book.t("late")]
    row = _table(book, grid, top, left, book.t("arrivals"), heads, arrivals)
    refs["arrivals"] = _Ref(row, left, len(arrivals))
    left += 4
    rates = report.summary.failure_rate_by_part
    heads = [book.t("part"), book.t("n"), book.t("installed"), book.t("rate")]
    lines = [[pn, r.replacements, r.installed, r.annualised_rate] for pn, r in rates.items()]
    row = _table(book, grid, top, left, book.t("failure_rates"), heads, lines)
    for r, line in enumerate(lines, start=row):
        if line[3] is not None:
            grid.put(r, left + 3, line[3], book.rate)
    refs["failure_rates"] = _Ref(row, left, len(lines))
    if report.failure_trend:
        refs["trend"] = _trend_table(book, grid, report, top, left + 5)
    return refs


def _trend_table(book: _Book, grid: _Grid, report: ReportData, top: int, left: int) -> _Ref:
    """Quarter over quarter: one row per part, one column per quarter (the annualised rate)."""
    trend = report.failure_trend or []
    parts = list(report.summary.failure_rate_by_part)
    heads = [book.t("part"), *(q.quarter for q in trend)]
    lines = []
    for pn in parts:
        rates = [q.by_part[pn].annualised_rate if pn in q.by_part else None for q in trend]
        lines.append([pn, *rates])
    row = _table(book, grid, top, left, book.t("trend"), heads, lines)
    for r, line in enumerate(lines, start=row):
        for c, value in enumerate(line[1:], start=1):
            grid.put(r, left + c, value, book.rate)
    return _Ref(row, left, len(trend))


def _chart_by_part(book: _Book, sheet: str, ref: _Ref) -> Any:
    chart = book.wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": book.t("count"),
            "categories": ref.column(sheet, 0),
            "values": ref.column(sheet, 1),
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": book.t("by_part")})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    return chart


def _chart_durations(book: _Book, sheet: str, ref: _Ref, deadline: int) -> Any:
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    for key, colour, col in (("within", "#70AD47", 1), ("beyond", "#C00000", 2)):
        chart.add_series(
            {
                "name": f"{book.t(key)} ({'≤' if key == 'within' else '>'}{deadline})",
                "categories": ref.column(sheet, 0),
                "values": ref.column(sheet, col),
                "fill": {"color": colour},
                "gap": 20,
            }
        )
    chart.set_title({"name": f"{book.t('durations')} — {deadline} min"})
    chart.set_x_axis({"name": book.t("bucket")})
    chart.set_y_axis({"name": book.t("n")})
    chart.set_legend({"position": "bottom"})
    return chart


def _chart_weekly(book: _Book, sheet: str, ref: _Ref) -> Any:
    chart = book.wb.add_chart({"type": "line"})
    chart.add_series(
        {
            "name": book.t("share"),
            "categories": ref.column(sheet, 0),
            "values": ref.column(sheet, 3),
            "marker": {"type": "circle"},
        }
    )
    chart.set_title({"name": book.t("weekly")})
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_x_axis({"date_axis": False, "num_format": "mm-dd"})
    chart.set_legend({"none": True})
    chart.show_blanks_as("gap")
    return chart


def _chart_arrivals(book: _Book, sheet: str, ref: _Ref) -> Any:
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    for key, colour, col in (("on_time", "#70AD47", 1), ("late", "#C00000", 2)):
        chart.add_series(
            {
                "name": book.t(key),
                "categories": ref.column(sheet, 0),
                "values": ref.column(sheet, col),
                "fill": {"color": colour},
                "gap": 40,
                "data_labels": {"value": True},
            }
        )
    chart.set_title({"name": book.t("arrivals")})
    chart.set_x_axis({"name": book.t("band")})
    chart.set_y_axis({"name": book.t("n")})
    chart.set_legend({"position": "bottom"})
    return chart


def _chart_failure_rates(book: _Book, sheet: str, ref: _Ref) -> Any:
    chart = book.wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": book.t("rate"),
            "categories": ref.column(sheet, 0),
            "values": ref.column(sheet, 3),
            "fill": {"color": "#ED7D31"},
            "data_labels": {"value": True, "num_format": "0.000"},
        }
    )
    chart.set_title({"name": book.t("failure_rates")})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    return chart


def _chart_trend(book: _Book, sheet: str, ref: _Ref, parts: int) -> Any:
    """One line per part across the quarters (the table's rows)."""
    chart = book.wb.add_chart({"type": "line"})
    for i in range(min(parts, 8)):
        row = ref.top + i
        chart.add_series(
            {
                "name": [sheet, row, ref.left],
                "categories": [sheet, ref.top - 1, ref.left + 1, ref.top - 1, ref.left + ref.count],
                "values": [sheet, row, ref.left + 1, row, ref.left + ref.count],
                "marker": {"type": "circle"},
            }
        )
    chart.set_title({"name": book.t("trend")})
    chart.set_y_axis({"name": book.t("rate"), "num_format": "0.00"})
    chart.set_legend({"position": "right"})
    chart.show_blanks_as("gap")
    return chart


def _print_on_one_page(sheet: Any, *, wide: int, tall: int) -> None:
    """Printed landscape on A4, `wide` pages across and `tall` down (0: as many as needed)."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(wide, tall)


def _charts(book: _Book, report: ReportData, refs: dict[str, _Ref]) -> None:
    charts = book.wb.add_worksheet(book.t("charts"))
    if not report.rows:
        charts.write_string(0, 0, book.t("no_rows"))
    sheet, scale = book.t("summary"), {"x_scale": 1.4, "y_scale": 1.2}
    placed = [
        (1, 0, _chart_by_part(book, sheet, refs["by_part"])),
        (1, 12, _chart_durations(book, sheet, refs["durations"], report.deadline_minutes)),
        (20, 0, _chart_weekly(book, sheet, refs["weekly"])),
        (20, 12, _chart_arrivals(book, sheet, refs["arrivals"])),
        (39, 0, _chart_failure_rates(book, sheet, refs["failure_rates"])),
    ]
    if "trend" in refs:
        parts = len(report.summary.failure_rate_by_part)
        placed.append((39, 12, _chart_trend(book, sheet, refs["trend"], parts)))
    for row, col, chart in placed:
        charts.insert_chart(row, col, chart, scale)
    _print_on_one_page(charts, wide=1, tall=1)
    charts.activate()


def to_xlsx(report: ReportData, lang: Lang) -> bytes:
    """The workbook: records, summary (figures and chart tables) and charts."""
    buffer = io.BytesIO()
    book = _Book(buffer, lang)
    _records(book, report)
    summary, grid = book.wb.add_worksheet(book.t("summary")), _Grid()
    top = _figures(book, grid, report) + 2
    refs = _chart_tables(book, grid, report, top)
    summary.set_column(0, 0, 30)
    summary.set_column(1, 1, 14)
    for i, counts in enumerate(
        (
            report.summary.by_part,
            report.summary.by_site,
            report.summary.by_fault_level,
            report.summary.by_customer,
        )
    ):
        if i:
            summary.set_column(3 * i, 3 * i, max(summary_width(counts), 14))
    grid.write(summary)
    _print_on_one_page(summary, wide=1, tall=0)
    _charts(book, report, refs)
    book.wb.close()
    return buffer.getvalue()


def summary_width(counts: dict[str, int]) -> int:
    """Width of a table's key column."""
    return max((_width(key) + 2 for key in counts), default=0)


def render(report: ReportData, fmt: ReportFormat, lang: Lang) -> bytes:
    """The CSV or XLSX file."""
    return to_csv(report, lang) if fmt is ReportFormat.CSV else to_xlsx(report, lang)


def filename(report: ReportData, fmt: ReportFormat, lang: Lang) -> str:
    """An ASCII file name for Content-Disposition, e.g. `replacements-2026-10-zh.xlsx`."""
    label = report.month or report.quarter or f"{report.period.from_}_{report.period.to}"
    return f"replacements-{label}-{lang.value}.{fmt.value}"
