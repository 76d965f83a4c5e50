"""The fault report (故障处理报告) as a document the customer's maintenance lead signs.

Rules: DOCX (python-docx) and PDF (fpdf2) show the same content, built once by `content`:
the title, the header (report number, customer, site, device, ticket), the contract's items
in order (times; both sides' engineers; part and serials; symptoms and impact; process;
cause; solution; prevention), the SLA clock with on-time / late marks, both confirmations,
and signature lines. The PDF embeds (a subset of) the CJK font named by the settings, so it
reads the same on a machine without Chinese fonts. A missing value prints as a dash; text is
printed as recorded, with characters XML cannot hold replaced (never a formula, never code).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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


class DocFormat(StrEnum):
    DOCX = "docx"
    PDF = "pdf"


CONTENT_TYPE: Final = {
    DocFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocFormat.PDF: "application/pdf",
}
DASH: Final = "—"
# XML 1.0 holds no control characters but tab, newline and carriage return.
NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
GREEN: Final = (0x2E, 0x7D, 0x32)
LABEL_DOCX: Final = Mm(50)
VALUE_DOCX: Final = Mm(120)
RED: Final = (0xC0, 0x00, 0x00)

T: Final[dict[str, tuple[str, str]]] = {
    "title": ("Fault Handling Report", "故障处理报告"),
    "number": ("Report no.", "报告编号"),
    "customer": ("Customer", "客户"),
    "site": ("Site", "站点"),
    "device": ("Device", "设备"),
    "ticket": ("Ticket", "工单号"),
    "fault_level": ("Fault level", "故障级别"),
    "times": ("1. Times", "一、时间记录"),
    "reported": ("Fault reported", "故障报告时间"),
    "remote": ("Remote support", "远程支持时间"),
    "arrived": ("Arrival on site", "现场到达时间"),
    "replaced": ("Repaired (part replaced)", "修复完成时间"),
    "engineers": ("2. Engineers", "二、双方工程师"),
    "our_engineer": ("Service engineer", "服务方工程师"),
    "customer_engineer": ("Customer's engineer", "客户方工程师"),
    "parts": ("3. Part and serial numbers", "三、备件及序列号"),
    "part": ("Part", "备件"),
    "slot": ("Slot", "槽位"),
    "removed": ("Removed serial (faulty)", "拆下序列号(故障件)"),
    "installed": ("Installed serial", "换上序列号"),
    "symptoms": ("4. Symptoms and impact", "四、故障现象及影响"),
    "reason": ("Symptoms", "故障现象"),
    "impact": ("Impact", "故障影响"),
    "process": ("5. Process", "五、处理过程"),
    "cause": ("6. Cause", "六、故障原因"),
    "solution": ("7. Solution", "七、解决方案"),
    "prevention": ("8. Prevention", "八、预防措施"),
    "clock": ("9. Service level", "九、服务时效"),
    "measure": ("Measure", "考核项"),
    "minutes": ("Minutes", "用时(分钟)"),
    "limit": ("Limit (minutes)", "时限(分钟)"),
    "mark": ("Result", "结果"),
    "arrival_vs_response": ("On-site response", "现场响应"),
    "spare_on_site": ("Spare part on site", "备件到场"),
    "repair": ("Repair (report → replaced)", "故障修复(报告至更换)"),
    "on_time": ("On time", "按时"),
    "late": ("Late", "超时"),
    "unknown": ("Not measured (no arrival time)", "未计(无到场时间)"),
    "no_band": ("Site beyond the response bands", "站点超出响应范围"),
    "confirmations": ("10. Confirmations", "十、双方确认"),
    "customer_confirmed": ("Customer's confirmation", "客户确认人"),
    "engineer_confirmed": ("Service's confirmation", "服务方确认人"),
    "sign_customer": ("Customer's maintenance lead (signature)", "客户维护负责人(签字)"),
    "sign_service": ("Service engineer (signature)", "服务方工程师(签字)"),
    "date": ("Date", "日期"),
    "time_zone": ("Times in time zone", "时间均按时区"),
}
LEVELS: Final = {"critical": "紧急", "major": "重大", "serious": "严重", "minor": "一般"}


@dataclass
class Mark:
    """One line of the SLA clock: minutes taken, the limit, and on time / late / unknown."""

    label: str
    minutes: int | None
    limit: int | None
    on_time: bool | None
    note: str = ""


@dataclass
class Content:
    """The document, whatever it is drawn with."""

    title: str
    header: list[tuple[str, str]]
    sections: list[tuple[str, list[tuple[str, str]] | str]]
    clock_title: str
    clock_heads: list[str]
    clock: list[Mark]
    confirmations_title: str
    confirmations: list[tuple[str, str]]
    signatures: list[str]
    date_label: str
    footnote: str
    colon: str = ": "
    words: dict[str, str] = field(default_factory=dict)


def clean(value: str | None) -> str:
    """Text as recorded, a dash when missing; characters XML cannot hold become U+FFFD."""
    if value is None or not value.strip():
        return DASH
    return NOT_XML.sub("\ufffd", value)


def _when(report: FaultReport, value: datetime | None) -> str:
    local = report.local(value)
    return DASH if local is None else local.strftime("%Y-%m-%d %H:%M")


def _clock(report: FaultReport, t: dict[str, str]) -> list[Mark]:
    r = report.replacement
    no_arrival = t["unknown"] if r.arrival_minutes is None else ""
    response_note = no_arrival
    if r.arrival_minutes is not None and r.response_limit_minutes is None:
        response_note = t["no_band"]
    return [
        Mark(
            t["arrival_vs_response"],
            r.arrival_minutes,
            r.response_limit_minutes,
            r.arrived_within_response,
            response_note,
        ),
        Mark(
            t["spare_on_site"],
            r.arrival_minutes,
            report.deadline_minutes,
            r.spare_on_site_within_deadline,
            no_arrival,
        ),
        Mark(t["repair"], r.duration_minutes, report.deadline_minutes, r.within_deadline),
    ]


def _sections(
    report: FaultReport, t: dict[str, str]
) -> list[tuple[str, list[tuple[str, str]] | str]]:
    """The contract's items (2.2.6) in order: times, engineers, part, symptoms and impact,
    process, cause, solution, prevention."""
    r = report.replacement
    part = f"{r.part_number} {report.part_name}"
    installed = r.installed_serial
    if report.installed_part_number != r.part_number:
        installed = f"{r.installed_serial} ({report.installed_part_number})"
    return [
        (
            t["times"],
            [
                (t["reported"], _when(report, r.fault_reported_at)),
                (t["remote"], _when(report, r.remote_support_at)),
                (t["arrived"], _when(report, r.arrived_at)),
                (t["replaced"], _when(report, r.replaced_at)),
            ],
        ),
        (
            t["engineers"],
            [
                (t["our_engineer"], clean(r.engineer)),
                (t["customer_engineer"], clean(r.customer_engineer)),
            ],
        ),
        (
            t["parts"],
            [
                (t["part"], clean(part)),
                (t["slot"], clean(r.slot)),
                (t["removed"], clean(r.removed_serial)),
                (t["installed"], clean(installed)),
            ],
        ),
        (
            t["symptoms"],
            [(t["reason"], clean(r.reason)), (t["impact"], clean(r.fault_impact))],
        ),
        (t["process"], clean(r.process)),
        (t["cause"], clean(r.cause)),
        (t["solution"], clean(r.solution)),
        (t["prevention"], clean(r.prevention)),
    ]


def content(report: FaultReport, lang: Lang) -> Content:
    """Every line of the document, in the contract's order, in `lang`."""
    t = {key: pair[1 if lang is Lang.ZH else 0] for key, pair in T.items()}
    r = report.replacement
    level = LEVELS.get(r.fault_level.value, r.fault_level.value) if lang is Lang.ZH else None
    return Content(
        title=t["title"],
        header=[
            (t["number"], f"FR-{r.id:06d}"),
            (t["customer"], clean(f"{report.customer_name} ({r.customer_code})")),
            (t["site"], clean(f"{report.site_name} ({r.site_code})")),
            (t["device"], clean(f"{report.device_serial} · {report.device_model}")),
            (t["ticket"], clean(report.ticket)),
            (t["fault_level"], level or r.fault_level.value),
        ],
        sections=_sections(report, t),
        clock_title=t["clock"],
        clock_heads=[t["measure"], t["minutes"], t["limit"], t["mark"]],
        clock=_clock(report, t),
        confirmations_title=t["confirmations"],
        confirmations=[
            (t["customer_confirmed"], clean(r.customer_confirmed_by)),
            (t["engineer_confirmed"], clean(r.engineer_confirmed_by)),
        ],
        signatures=[t["sign_customer"], t["sign_service"]],
        date_label=t["date"],
        footnote=f"{t['time_zone']} {report.time_zone}",
        colon="：" if lang is Lang.ZH else ": ",
        words=t,
    )


def mark_text(mark: Mark, words: dict[str, str]) -> str:
    """`On time`, `Late`, or why it was not measured."""
    if mark.on_time is None:
        return mark.note or DASH
    return words["on_time"] if mark.on_time else words["late"]


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


def render(report: FaultReport, fmt: DocFormat, lang: Lang) -> bytes:
    """The DOCX or PDF document."""
    return to_docx(report, lang) if fmt is DocFormat.DOCX else to_pdf(report, lang)


def filename(report: FaultReport, fmt: DocFormat, lang: Lang) -> str:
    """An ASCII file name, e.g. `fault-report-FR-000042-zh.pdf`."""
    return f"fault-report-FR-{report.replacement.id:06d}-{lang.value}.{fmt.value}"
