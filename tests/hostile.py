"""Hostile files for the import bounds, shared by the tests and `bench/hostile_inputs.py`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import xlsxwriter

HEADER = ["site_code", "vendor", "model", "hostname", "serial"]
SHARED = "xl/sharedStrings.xml"
CHUNK = 1024 * 1024


def xlsx_bomb(path: Path, unpacked_mb: int = 400) -> Path:
    """A small valid workbook whose shared strings unpack to `unpacked_mb` MB.

    The workbook is written by xlsxwriter (header + one row), then its shared-strings part is
    replaced by the same strings plus one string of `unpacked_mb` MB of 'A', streamed into the
    zip so that building it needs no memory either.
    """
    plain = io.BytesIO()
    book = xlsxwriter.Workbook(plain, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["SY-01", "Huawei", "NE40E", "PE1", "SN-1"])
    book.close()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source:
        original = source.read(SHARED).decode()
        closing = original.rindex("</sst>")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
            for member in source.infolist():
                if member.filename != SHARED:
                    bomb.writestr(member, source.read(member.filename))
            with bomb.open(SHARED, "w", force_zip64=True) as shared:
                shared.write(original[:closing].encode() + b"<si><t>")
                block = b"A" * CHUNK
                for _ in range(unpacked_mb):
                    shared.write(block)
                shared.write(b"</t></si></sst>")
    return path
