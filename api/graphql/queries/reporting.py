"""GraphQL queries: The replacement report."""

from __future__ import annotations

import strawberry

from api.graphql import types as t
from api.graphql.common import (
    Ctx,
)
from api.graphql.context import may
from api.surface import graphql_error
from inventory_service.platform.errors import DomainError
from inventory_service.policy import Operation
from inventory_service.reporting import periods, reports


@strawberry.type
class ReportingQuery:
    @strawberry.field(
        description="The replacement report (`GET /reports/replacements`): exactly one of "
        "month (YYYY-MM), quarter (YYYY-Qn), or dateFrom and dateTo (local dates).",
        permission_classes=may(Operation.READ_REPORTS),
    )
    async def replacement_report(
        self,
        info: Ctx,
        month: str | None = None,
        quarter: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        customer_code: str | None = None,
    ) -> t.ReplacementReportType:
        ctx = info.context
        try:
            period = periods.parse_period(
                month=month, quarter=quarter, date_from=date_from, date_to=date_to
            )
        except DomainError as exc:
            raise graphql_error(exc) from exc
        found = await ctx.run(
            reports.replacement_report, actor=ctx.caller, period=period, customer_code=customer_code
        )
        return t.convert(t.ReplacementReportType, found)
