"""Writing CSV and XLSX files that never turn text into a formula (the contract's export rule).

Rules that always hold for every file the service writes (spares list, replacement report,
coverage CSV, ...), because every writer gets its writer or workbook here:
- CSV: a text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
  leading `'` (a spreadsheet would otherwise run it: `=HYPERLINK(...)` received as a supplier
  name). Numbers, dates and booleans are written as they are.
- XLSX: every text is a string cell: the workbook is created with `strings_to_formulas`,
  `strings_to_urls` and `strings_to_numbers` off, so `write`, `write_row` and `write_string`
  all store the text as typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import xlsxwriter


FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_OPTIONS: Final = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def inert(value: Any) -> Any:
    """A CSV cell value that no spreadsheet will run: risky texts get a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose every text cell goes through `inert`."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([inert(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], *, lineterminator: str = "\r\n") -> SafeCsvWriter:
    """The CSV writer every export uses."""
    return SafeCsvWriter(stream, lineterminator=lineterminator)


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as UTF-8 CSV with a byte-order mark (Excel on Chinese Windows reads it right)."""
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def workbook(buffer: io.BytesIO, *, constant_memory: bool = False) -> xlsxwriter.Workbook:
    """A workbook in which every text written is a string cell.

    Built in memory; with `constant_memory`, each row goes to a temporary file as soon as the
    next one starts (rows must then be written top to bottom), so a large sheet costs no more
    memory than a small one.
    """
    import xlsxwriter  # ~10 MB resident: loaded by the first workbook, not at every start

    mode = {"constant_memory": True} if constant_memory else {"in_memory": True}
    return xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS | mode)
