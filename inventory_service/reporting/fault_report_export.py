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

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from inventory_service.platform.lang import Lang
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


def render(report: FaultReport, fmt: DocFormat, lang: Lang) -> bytes:
    """The DOCX or PDF document."""
    # The writers' libraries (python-docx, fpdf2 with Pillow and fontTools: ~60 MB resident)
    # are loaded on the first document a process renders, not by every worker at start.
    from inventory_service.reporting import fault_report_files

    if fmt is DocFormat.DOCX:
        return fault_report_files.to_docx(report, lang)
    return fault_report_files.to_pdf(report, lang)


def filename(report: FaultReport, fmt: DocFormat, lang: Lang) -> str:
    """An ASCII file name, e.g. `fault-report-FR-000042-zh.pdf`."""
    return f"fault-report-FR-{report.replacement.id:06d}-{lang.value}.{fmt.value}"
