"""The replacement report (更换记录月报) for the contract's monthly and quarterly summaries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response

from api.deps import ReportReader, SessionDep
from api.routing import Router
from inventory_service.platform.lang import Lang
from inventory_service.reporting import periods, reports, reports_export
from inventory_service.reporting.reports_export import ReportFormat
from models import bounds
from models.report import ReplacementReport

router = Router(prefix="/reports", tags=["reports"])


def report_period(
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM, e.g. 2026-10")] = None,
    quarter: Annotated[str | None, Query(max_length=7, description="YYYY-Qn, e.g. 2026-Q4")] = None,
    date_from: Annotated[
        str | None,
        Query(alias="from", max_length=10, description="First local date, YYYY-MM-DD (with to)"),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(alias="to", max_length=10, description="Last local date, inclusive (with from)"),
    ] = None,
) -> periods.Period:
    """Exactly one of month, quarter, or from and to (else 422 naming the field)."""
    return periods.parse_period(month=month, quarter=quarter, date_from=date_from, date_to=date_to)


Period = Annotated[periods.Period, Depends(report_period)]


@router.get(
    "/replacements",
    response_model=ReplacementReport,
    responses={
        200: {
            "content": {ctype: {} for ctype in reports_export.CONTENT_TYPE.values()},
            "description": (
                "JSON (default), CSV (UTF-8 with BOM) or an Excel workbook with charts. "
                "`month` is null for a quarter or a range; `period` always gives the local "
                "dates (both inclusive) and the time zone."
            ),
        }
    },
)
def replacement_report(
    session: SessionDep,
    actor: ReportReader,
    period: Period,
    format: Annotated[ReportFormat, Query(description="json, csv or xlsx")] = ReportFormat.JSON,
    lang: Annotated[Lang, Query(description="Headings of csv and xlsx: en or zh")] = Lang.EN,
    customer_code: Annotated[
        str | None, Query(max_length=bounds.CODE, description="Only this customer's rows")
    ] = None,
) -> object:
    """One row per replacement in the period (by replaced_at, local time) and a summary."""
    report = reports.report_data(session, actor=actor, period=period, customer_code=customer_code)
    if format is ReportFormat.JSON:
        # Serialised once here: FastAPI would validate the ten thousand rows of a month again.
        body = report.read().model_dump_json(by_alias=True)
        return Response(body, media_type="application/json")
    name = reports_export.filename(report, format, lang)
    return Response(
        reports_export.render(report, format, lang),
        media_type=reports_export.CONTENT_TYPE[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
