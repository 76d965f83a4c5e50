"""Failure trends (故障概率趋势分析): the contract's annualised failure rate of each part over any
period, and quarter over quarter.

Rules: rate = replacements / installed × 365.25 / days in the period, null when nothing is
installed; the installed base is the register's components of that part in devices in scope
that are not retired at the end of the period. Queries only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inventory_service.platform.settings import get_settings
from inventory_service.reporting.periods import Period, previous_quarters
from models import Component, Device, DeviceStatus, Part, Replacement, Site
from models.report import PartFailureRate, QuarterFailureRates

TREND_QUARTERS: Final = 4


def annualised_rate(replacements: int, installed: int, days: int) -> float | None:
    """replacements / installed × 365.25 / days in the period; null when nothing is installed."""
    if installed == 0:
        return None
    return replacements / installed * 365.25 / days


def installed_base(
    session: Session, *, part_ids: Sequence[int], end: datetime, customer_id: int | None
) -> dict[int, int]:
    """Components of each part installed in devices in scope not retired at `end`.

    The register as it stands: a retired device counts when it was retired at or after `end`
    (its last change, the retirement being terminal)."""
    if not part_ids:
        return {}
    stmt = (
        sa_select(col(Component.part_id), func.count(col(Component.id)))
        .join(Device, col(Device.id) == col(Component.device_id))
        .where(
            col(Component.part_id).in_(part_ids),
            (col(Device.status) != DeviceStatus.RETIRED.value) | (col(Device.updated_at) >= end),
        )
        .group_by(col(Component.part_id))
    )
    if customer_id is not None:
        stmt = stmt.join(Site, col(Site.id) == col(Device.site_id)).where(
            col(Site.customer_id) == customer_id
        )
    return {part_id: int(n) for part_id, n in session.execute(stmt).all()}


def part_failures(
    session: Session, *, period: Period, customer_id: int | None
) -> dict[str, PartFailureRate]:
    """The contract's failure rate of every part replaced in `period`, highest rate first."""
    start, end = period.utc_bounds(ZoneInfo(get_settings().time_zone))
    stmt = (
        sa_select(col(Part.id), col(Part.part_number), func.count(col(Replacement.id)))
        .join(Part, col(Part.id) == col(Replacement.part_id))
        .where(col(Replacement.replaced_at) >= start, col(Replacement.replaced_at) < end)
        .group_by(col(Part.id), col(Part.part_number))
    )
    if customer_id is not None:
        stmt = stmt.where(col(Replacement.customer_id) == customer_id)
    counts = session.execute(stmt).all()
    installed = installed_base(
        session, part_ids=[c[0] for c in counts], end=end, customer_id=customer_id
    )
    rates = {
        pn: PartFailureRate(
            replacements=n,
            installed=installed.get(part_id, 0),
            annualised_rate=annualised_rate(n, installed.get(part_id, 0), period.days),
        )
        for part_id, pn, n in counts
    }
    return dict(
        sorted(
            rates.items(),
            key=lambda item: (
                item[1].annualised_rate is None,
                -(item[1].annualised_rate or 0.0),
                -item[1].replacements,
                item[0],
            ),
        )
    )


@dataclass(frozen=True)
class FailureLine:
    """One part of the failure table: this period's rate and the previous quarter's."""

    part_number: str
    part_name: str
    replacements: int
    installed: int
    annualised_rate: float | None
    previous_rate: float | None


def failure_trend(
    session: Session, *, period: Period, customer_id: int | None, parts: Sequence[str]
) -> list[QuarterFailureRates]:
    """Quarter over quarter: the rate of each of `parts` in the last four quarters."""
    trend = []
    for quarter in previous_quarters(period, TREND_QUARTERS):
        rates = part_failures(session, period=quarter, customer_id=customer_id)
        trend.append(
            QuarterFailureRates(
                quarter=quarter.quarter or quarter.label,
                by_part={pn: rates[pn] for pn in parts if pn in rates},
            )
        )
    return trend
