"""Answers of reachability ("can a genuine replacement reach this site in time") and coverage."""

from __future__ import annotations

from typing import Any

from pydantic import model_serializer

from models.base import ReadModel

REJECTION_REASONS = (
    "not_genuine",
    "not_available",
    "other_vendor",
    "spec_lower",
    "not_covered",
    "too_far",
)


class CandidateRead(ReadModel):
    spare_id: int
    serial: str
    part_number: str
    substitute: bool
    warehouse_code: str
    distance_km: float
    band_minutes: int
    eta_minutes: int
    # Asked by device and slot: does the unit's firmware equal the device's (null: either is
    # unknown, or the question named no device).
    firmware_matches: bool | None = None


class RejectedRead(ReadModel):
    spare_id: int
    part_number: str
    warehouse_code: str
    reason: str
    distance_km: float | None = None
    eta_minutes: int | None = None

    @model_serializer(mode="plain")
    def _without_empty(self) -> dict[str, Any]:
        # `distance_km` and `eta_minutes` are optional keys in the contract: absent, not null.
        out: dict[str, Any] = {
            "spare_id": self.spare_id,
            "part_number": self.part_number,
            "warehouse_code": self.warehouse_code,
            "reason": self.reason,
        }
        if self.distance_km is not None:
            out["distance_km"] = self.distance_km
        if self.eta_minutes is not None:
            out["eta_minutes"] = self.eta_minutes
        return out


class AvailabilityRead(ReadModel):
    site_code: str
    part_number: str
    deadline_minutes: int
    reachable: bool
    best: CandidateRead | None
    candidates: list[CandidateRead]
    rejected: list[RejectedRead]
    candidate_count: int
    rejected_counts: dict[str, int]


class CoverageRow(ReadModel):
    site_code: str
    customer_code: str
    part_number: str
    installed: int
    reachable: bool
    best_eta_minutes: int | None
    best_warehouse_code: str | None


class StockingLine(ReadModel):
    warehouse_code: str
    part_number: str
    quantity: int
    closes: int
    site_codes: list[str]


class CoverageUncoverable(ReadModel):
    site_code: str
    part_number: str


class CoverageRead(ReadModel):
    customer_code: str | None
    deadline_minutes: int
    pairs: int
    covered: int
    share_covered: float
    rows: list[CoverageRow]
    gaps: list[CoverageRow]
    stocking_plan: list[StockingLine]
    uncoverable: list[CoverageUncoverable]
