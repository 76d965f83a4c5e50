"""The fault report document (故障处理报告): content in the contract's order, fonts, scope."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings, replace_settings
from tests import factories
from tests.conftest import TokenFactory

RECORD = {
    "remote_support_at": datetime(2026, 10, 15, 1, 10, tzinfo=UTC),
    "customer_engineer": "客户工程师王五",
    "process": "远程确认后到场更换",
    "cause": "电容老化",
    "solution": "更换原厂模块",
    "prevention": "季度巡检电源告警",
}


@pytest.fixture
def fault(db: Database) -> dict[str, Any]:
    """A replacement at LNXX (arrived 42 minutes after the report, Shenyang: 30-minute band)
    and one at another customer."""
    with db.transaction() as session:
        mine = factories.replacement_row(
            session,
            "A",
            replaced_at=datetime(2026, 10, 15, 4, 0, tzinfo=UTC),
            duration_minutes=200,
            arrival_minutes=42,
            reason="=电源模块告警",
            engineer="王建国",
            **RECORD,
        )
        other = factories.replacement_row(
            session,
            "B",
            replaced_at=datetime(2026, 10, 15, 4, 0, tzinfo=UTC),
            duration_minutes=60,
            site_code="DL-01",
            customer_code="LNGRID",
        )
    return {"mine": mine.id, "other": other.id}


def document_text(content: bytes) -> str:
    """Every text of the DOCX body in reading order (paragraphs and table cells)."""
    body = Document(io.BytesIO(content)).element.body
    return "\n".join(node.text or "" for node in body.iter(qn("w:t")))


def in_order(text: str, items: list[str]) -> None:
    at = -1
    for item in items:
        found = text.find(item, at + 1)
        assert found > at, f"{item!r} missing or out of order"
        at = found


# The contract's items (plan 2.2.6) as the Chinese DOCX must show them, in this order.
ZH_DOCX_ITEMS = [
    "故障处理报告",
    "客户",
    "一、时间记录",
    "故障报告时间",
    "2026-10-15 08:40",  # 00:40 UTC reported, Shanghai time
    "远程支持时间",
    "2026-10-15 09:10",
    "现场到达时间",
    "2026-10-15 09:22",
    "修复完成时间",
    "2026-10-15 12:00",
    "二、双方工程师",
    "王建国",
    "客户工程师王五",
    "三、备件及序列号",
    "PSU-750W",
    "OLD-A",
    "NEW-A",
    "四、故障现象及影响",
    "=电源模块告警",
    "单电源运行",
    "五、处理过程",
    "远程确认后到场更换",
    "六、故障原因",
    "电容老化",
    "七、解决方案",
    "更换原厂模块",
    "八、预防措施",
    "季度巡检电源告警",
    "九、服务时效",
    "现场响应",
    "42",
    "30",
    "超时",
    "备件到场",
    "按时",
    "故障修复",
    "200",
    "240",
    "按时",
    "十、双方确认",
    "客户确认人",
    "客户-李",
    "服务方确认人",
    "客户维护负责人(签字)",
    "服务方工程师(签字)",
]


def test_docx_holds_the_contract_items_in_order(
    client: TestClient, headers_for: TokenFactory, fault: dict[str, Any]
) -> None:
    url = f"/api/v1/replacements/{fault['mine']}/fault-report"
    answer = client.get(
        url, params={"format": "docx", "lang": "zh"}, headers=headers_for("reporter")
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert f"fault-report-FR-{fault['mine']:06d}-zh.docx" in answer.headers["content-disposition"]
    text = document_text(answer.content)
    in_order(text, ZH_DOCX_ITEMS)


def test_english_docx_and_missing_items_print_a_dash(
    client: TestClient, headers_for: TokenFactory, fault: dict[str, Any]
) -> None:
    url = f"/api/v1/replacements/{fault['other']}/fault-report"
    answer = client.get(url, params={"format": "docx", "lang": "en"}, headers=headers_for())
    text = document_text(answer.content)
    in_order(
        text,
        ["Fault Handling Report", "Remote support", "—", "Arrival on site", "—", "5. Process"],
    )
    assert "Not measured (no arrival time)" in text
    assert "Customer's maintenance lead (signature)" in text


def embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    """Font name → its font-file key, for each font descriptor of the PDF that carries the
    font program (FontFile2: TrueType outlines, FontFile3: CFF); a subset is `ABCDEF+Name`."""
    found = {}
    for obj in re.findall(rb"\d+ 0 obj(.*?)endobj", pdf, flags=re.S):
        if b"/Type /FontDescriptor" not in obj:
            continue
        name = re.search(rb"/FontName /[A-Z]{6}\+(\S+)", obj)
        program = re.search(rb"/(FontFile[23]?) \d+ 0 R", obj)
        if name and program:
            found[name[1].decode()] = program[1]
    return found


def test_pdf_embeds_the_cjk_font(
    client: TestClient, headers_for: TokenFactory, fault: dict[str, Any]
) -> None:
    url = f"/api/v1/replacements/{fault['mine']}/fault-report"
    answer = client.get(url, params={"format": "pdf", "lang": "zh"}, headers=headers_for())
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    # Embedded: a subset of Noto Sans CJK SC with its program (CFF outlines) in the file.
    assert embedded_fonts(answer.content) == {
        "NotoSansCJKSC": b"FontFile3",
        "NotoSansCJKSCBold": b"FontFile3",
    }
    assert client.get(url, headers=headers_for()).headers["content-type"] == "application/pdf"


def test_the_pdf_font_is_a_setting(
    client: TestClient, headers_for: TokenFactory, fault: dict[str, Any]
) -> None:
    wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    previous = replace_settings(
        get_settings().model_copy(
            update={"report_font": wqy, "report_font_bold": "/nonexistent", "report_font_index": 0}
        )
    )
    try:
        url = f"/api/v1/replacements/{fault['mine']}/fault-report?format=pdf"
        answer = client.get(url, headers=headers_for())
    finally:
        replace_settings(previous)
    assert answer.status_code == 200
    fonts = embedded_fonts(answer.content)
    assert set(fonts.values()) == {b"FontFile2"}
    assert all("WenQuanYi" in name for name in fonts)


def test_customers_get_only_their_own_reports(
    client: TestClient, headers_for: TokenFactory, fault: dict[str, Any]
) -> None:
    own = headers_for("customer", customer="LNXX")
    mine = f"/api/v1/replacements/{fault['mine']}/fault-report?format=docx"
    assert client.get(mine, headers=own).status_code == 200
    theirs = client.get(f"/api/v1/replacements/{fault['other']}/fault-report", headers=own)
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"
    unknown = client.get("/api/v1/replacements/999999/fault-report", headers=headers_for())
    assert unknown.status_code == 404
    for role in ("engineer", "dispatcher", "warehouse", "reporter"):
        assert client.get(mine, headers=headers_for(role)).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"), [({"format": "xlsx"}, "format"), ({"lang": "fr"}, "lang")]
)
def test_bad_format_or_language_is_422(
    client: TestClient,
    headers_for: TokenFactory,
    fault: dict[str, Any],
    params: dict[str, str],
    field: str,
) -> None:
    url = f"/api/v1/replacements/{fault['mine']}/fault-report"
    answer = client.get(url, params=params, headers=headers_for())
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == field
