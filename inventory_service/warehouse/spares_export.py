"""The customer's spares list (备品备件清单) for the inspection visit, as CSV or XLSX.

Rules: the rows are `spares_list.list_` (so the caller's scope and filters apply); CSV is
UTF-8 with a BOM (Excel on Chinese Windows opens it correctly); XLSX has a frozen header row,
autofilters and column widths fitted to the content; `lang="zh"` gives Chinese headings and
values, `lang="en"` English; no text becomes a formula (`platform.spreadsheets`). Nothing here
touches the database.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from inventory_service.platform import spreadsheets
from inventory_service.platform.lang import Lang
from inventory_service.warehouse.spares_list import ExportRow


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


COLUMNS: Final = (
    ("part_number", "Part number", "备件型号"),
    ("part_name", "Part name", "备件名称"),
    ("vendor", "Vendor", "厂商"),
    ("category", "Category", "类别"),
    ("serial", "Serial", "序列号"),
    ("warehouse_code", "Warehouse", "仓库代码"),
    ("warehouse_name", "Warehouse name", "仓库名称"),
    ("condition", "Condition", "成色"),
    ("genuine", "Genuine", "原厂正品"),
    ("supplier", "Supplier", "供应商"),
    ("channel", "Channel", "采购渠道"),
    ("document", "Document", "采购单据"),
    ("status", "Status", "状态"),
    ("firmware_version", "Firmware", "固件版本"),
    ("received_at", "Received at (UTC)", "入库时间(UTC)"),
)
ZH_VALUES: Final[dict[str, dict[str, str]]] = {
    "condition": {"new": "全新", "refurbished": "翻新"},
    "status": {
        "quarantined": "待核验",
        "available": "可用",
        "reserved": "已预留",
        "dispatched": "已出库",
        "installed": "已安装",
        "faulty": "故障",
        "at_repair": "返修中",
        "scrapped": "已报废",
    },
}
CONTENT_TYPE: Final = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLE: Final = {Lang.EN: "Spare parts list", Lang.ZH: "备品备件清单"}


def _cell(row: ExportRow, field: str, lang: Lang) -> str:
    value = getattr(row, field)
    if field == "genuine":
        yes_no = ("是", "否") if lang is Lang.ZH else ("yes", "no")
        return yes_no[0] if value else yes_no[1]
    text = "" if value is None else str(value)
    if lang is Lang.ZH and field in ZH_VALUES:
        return ZH_VALUES[field].get(text, text)
    return text


def table(rows: Sequence[ExportRow], lang: Lang) -> list[list[str]]:
    """The heading row and one row of text per unit."""
    index = 2 if lang is Lang.ZH else 1
    head = [str(column[index]) for column in COLUMNS]
    return [head, *([_cell(r, column[0], lang) for column in COLUMNS] for r in rows)]


def to_csv(rows: Sequence[ExportRow], lang: Lang) -> bytes:
    """UTF-8 CSV with a byte-order mark (no text becomes a formula)."""
    return spreadsheets.csv_bytes(table(rows, lang))


def _width(text: str) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def to_xlsx(rows: Sequence[ExportRow], lang: Lang) -> bytes:
    """A workbook with one sheet: frozen header, autofilter, fitted widths."""
    cells = table(rows, lang)
    buffer = io.BytesIO()
    workbook = spreadsheets.workbook(buffer)
    sheet = workbook.add_worksheet(TITLE[lang])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for r, values in enumerate(cells):
        sheet.write_row(r, 0, values, bold if r == 0 else None)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(cells) - 1, 0), len(COLUMNS) - 1)
    for c in range(len(COLUMNS)):
        widest = max(_width(values[c]) for values in cells)
        sheet.set_column(c, c, min(max(widest + 2, 8), 60))
    workbook.close()
    return buffer.getvalue()


def render(rows: Sequence[ExportRow], fmt: ExportFormat, lang: Lang) -> bytes:
    """The file in the requested format."""
    return to_csv(rows, lang) if fmt is ExportFormat.CSV else to_xlsx(rows, lang)


def filename(fmt: ExportFormat, lang: Lang) -> str:
    """An ASCII file name for Content-Disposition."""
    return f"spares-list-{lang.value}.{fmt.value}"
