"""The fault report's files: DOCX (python-docx) and PDF (fpdf2) of `fault_report_export.content`.

Rules: both show the same content, built once by `content`; the PDF embeds (a subset of) the
CJK font named by the settings. Loaded only when a document is rendered
(`fault_report_export.render`), so that a worker that never renders one does not hold these
libraries.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Final

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.table import _Cell
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from inventory_service.platform.lang import Lang
from inventory_service.platform.settings import get_settings
from inventory_service.reporting.fault_report import FaultReport
from inventory_service.reporting.fault_report_export import (
    DASH,
    GREEN,
    RED,
    Content,
    content,
    mark_text,
)

LABEL_DOCX: Final = Mm(50)
VALUE_DOCX: Final = Mm(120)


def _number(value: int | None) -> str:
    return DASH if value is None else str(value)


# --- DOCX -------------------------------------------------------------------------------


def _docx_page(doc: DocxDocument) -> None:
    """A4 with 2 cm margins; Latin text in Calibri, Chinese in SimSun (Word's default on
    Chinese Windows; other readers substitute their CJK font)."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")


def _docx_cell(cell: _Cell, text: str, *, width: Length, bold: bool = False) -> None:
    cell.width = width
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_before = Pt(3)
    paragraph.paragraph_format.space_after = Pt(3)
    run = paragraph.add_run(text)
    run.bold = bold


def _docx_pairs(doc: DocxDocument, pairs: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    table.columns[0].width, table.columns[1].width = LABEL_DOCX, VALUE_DOCX
    for label, value in pairs:
        cells = table.add_row().cells
        _docx_cell(cells[0], label, width=LABEL_DOCX, bold=True)
        _docx_cell(cells[1], value, width=VALUE_DOCX)


def _docx_pairs_text(doc: DocxDocument, text: str) -> None:
    """A free text in a one-cell box, like the PDF."""
    table = doc.add_table(rows=1, cols=1)
    table.style = "Table Grid"
    _docx_cell(table.rows[0].cells[0], text, width=Mm(170))


def _docx_clock(doc: DocxDocument, c: Content) -> None:
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    table.autofit = False
    widths = (Mm(60), Mm(30), Mm(30), Mm(50))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for cell, head, width in zip(table.rows[0].cells, c.clock_heads, widths, strict=True):
        _docx_cell(cell, head, width=width, bold=True)
    for mark in c.clock:
        cells = table.add_row().cells
        _docx_cell(cells[0], mark.label, width=widths[0])
        _docx_cell(cells[1], _number(mark.minutes), width=widths[1])
        _docx_cell(cells[2], _number(mark.limit), width=widths[2])
        _docx_cell(cells[3], "", width=widths[3])
        run = cells[3].paragraphs[0].add_run(mark_text(mark, c.words))
        if mark.on_time is not None:
            run.bold = True
            run.font.color.rgb = RGBColor(*(GREEN if mark.on_time else RED))


def to_docx(report: FaultReport, lang: Lang) -> bytes:
    """The report as a Word document."""
    c = content(report, lang)
    doc = Document()
    _docx_page(doc)
    title = doc.add_heading(c.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _docx_pairs(doc, c.header)
    for heading, body in c.sections:
        doc.add_heading(heading, level=2)
        if isinstance(body, str):
            _docx_pairs_text(doc, body)
        else:
            _docx_pairs(doc, body)
    doc.add_heading(c.clock_title, level=2)
    _docx_clock(doc, c)
    doc.add_heading(c.confirmations_title, level=2)
    _docx_pairs(doc, c.confirmations)
    doc.add_paragraph()
    for label in c.signatures:
        line = f"{label}{c.colon}____________________    {c.date_label}{c.colon}______________"
        doc.add_paragraph(line).paragraph_format.space_before = Pt(12)
    doc.add_paragraph(c.footnote).runs[0].italic = True
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------

FONT: Final = "cjk"
LABEL_WIDTH: Final = 55.0


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_creator("inventory-service")
        cfg = get_settings()
        regular, bold = Path(cfg.report_font), Path(cfg.report_font_bold)
        if not regular.is_file():
            raise RuntimeError(
                f"INVENTORY_REPORT_FONT {regular} is not a file: install Debian's "
                "fonts-noto-cjk or point the setting at a CJK TrueType/OpenType font"
            )
        index = cfg.report_font_index if regular.suffix.lower() in {".ttc", ".otc"} else 0
        self.add_font(FONT, "", regular, collection_font_number=index)
        bold_index = cfg.report_font_index if bold.suffix.lower() in {".ttc", ".otc"} else 0
        self.add_font(
            FONT,
            "B",
            bold if bold.is_file() else regular,
            collection_font_number=(bold_index if bold.is_file() else index),
        )

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT, "B", 11.5)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def pairs(self, pairs: list[tuple[str, str]]) -> None:
        self.set_font(FONT, size=10)
        with self.table(
            col_widths=(LABEL_WIDTH, self.epw - LABEL_WIDTH),
            first_row_as_headings=False,
            line_height=6.5,
            padding=1.5,
        ) as table:
            for label, value in pairs:
                row = table.row()
                row.cell(label, style=_bold())
                row.cell(value)


def _bold() -> FontFace:
    return FontFace(emphasis="BOLD", fill_color=(240, 244, 250))


def _pdf_clock(pdf: _Pdf, c: Content) -> None:
    widths = (LABEL_WIDTH + 15, 30.0, 30.0, pdf.epw - LABEL_WIDTH - 75)
    with pdf.table(col_widths=widths, line_height=6.5, padding=1.5) as table:
        head = table.row()
        for text in c.clock_heads:
            head.cell(text)
        for mark in c.clock:
            row = table.row()
            row.cell(mark.label)
            row.cell(_number(mark.minutes), align="R")
            row.cell(_number(mark.limit), align="R")
            colour = None if mark.on_time is None else (GREEN if mark.on_time else RED)
            style = FontFace(emphasis="BOLD", color=colour) if colour else None
            row.cell(mark_text(mark, c.words), style=style)


def to_pdf(report: FaultReport, lang: Lang) -> bytes:
    """The report as a PDF with its CJK font embedded."""
    c = content(report, lang)
    pdf = _Pdf(c.title)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 12, c.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.pairs(c.header)
    for heading, body in c.sections:
        pdf.heading(heading)
        if isinstance(body, str):
            pdf.multi_cell(0, 6.5, body, border=1, padding=2, new_x=XPos.LMARGIN)
        else:
            pdf.pairs(body)
    pdf.heading(c.clock_title)
    _pdf_clock(pdf, c)
    pdf.heading(c.confirmations_title)
    pdf.pairs(c.confirmations)
    pdf.ln(10)
    pdf.set_font(FONT, size=10.5)
    for label in c.signatures:
        line = f"{label}{c.colon}______________________    {c.date_label}{c.colon}______________"
        pdf.cell(0, 10, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, size=8)
    pdf.cell(0, 5, c.footnote, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
