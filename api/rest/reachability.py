"""Reachability and coverage: can a genuine replacement reach a site within the deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from api.deps import Reader, SessionDep, read_json
from api.routing import Router
from api.schemas import CodeFilter, Limit, QueryId, ShortFilter
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.reach import coverage as coverage_service
from inventory_service.reach import reachability
from models.reachability import AvailabilityRead, CoverageRead

router = Router(tags=["reachability"])

Deadline = Annotated[
    int | None,
    Query(ge=1, le=10080, description="Minutes (1..10080); default the configured deadline (240)."),
]


@router.get("/availability", response_model=AvailabilityRead)
async def get_availability(
    request: Request,
    actor: Reader,
    site_code: CodeFilter = None,
    part_number: CodeFilter = None,
    device_id: QueryId = None,
    slot: ShortFilter = None,
    deadline_minutes: Deadline = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    """Can a genuine replacement of the part reach the site by the deadline, and why (not)."""
    # A hot read: one thread-pool hop for the session, the answer and its JSON.
    return await read_json(
        request,
        lambda session: reachability.availability(
            session,
            actor=actor,
            site_code=site_code,
            part_number=part_number,
            device_id=device_id,
            slot=slot,
            deadline_minutes=deadline_minutes,
            limit=limit,
        ),
    )


@router.get("/coverage", response_model=CoverageRead)
def get_coverage(
    session: SessionDep,
    actor: Reader,
    customer_code: CodeFilter = None,
    deadline_minutes: Deadline = None,
) -> CoverageRead:
    """Every site × installed part: reachable or not, the gaps and a stocking plan to close them."""
    return coverage_service.read(
        session, actor=actor, customer_code=customer_code, deadline_minutes=deadline_minutes
    )
