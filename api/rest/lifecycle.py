"""Reservations and replacements: the field's side of the spare-part lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response

from api.deps import FieldRole, LoanReader, LoanRole, Reader, SessionDep, Staff, Stockkeeper
from api.filters import query_filters
from api.idempotency import IdempotencyDep, IdempotencyRequired
from api.routing import Router
from api.schemas import Cursor, Limit, PageOf, PathId
from inventory_service.lifecycle import loans, replacements, reservations
from inventory_service.platform.lang import Lang
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.reporting import fault_report as fault_report_data
from inventory_service.reporting import fault_report_export
from inventory_service.reporting.fault_report_export import DocFormat
from models.reservation import (
    LoanCreate,
    LoanRead,
    ReplacementCreate,
    ReplacementEditRead,
    ReplacementRead,
    ReplacementUpdate,
    ReservationCreate,
    ReservationRead,
)

reservation_router = Router(prefix="/reservations", tags=["lifecycle"])
replacement_router = Router(prefix="/replacements", tags=["lifecycle"])

ReservationFilters = Annotated[
    reservations.ReservationFilter, Depends(query_filters(reservations.ReservationFilter))
]
ReplacementFilters = Annotated[
    replacements.ReplacementFilter, Depends(query_filters(replacements.ReplacementFilter))
]
LoanFilters = Annotated[loans.LoanFilter, Depends(query_filters(loans.LoanFilter))]


@reservation_router.post("", status_code=201, response_model=ReservationRead)
def reserve(
    data: ReservationCreate, session: SessionDep, actor: FieldRole, idem: IdempotencyRequired
) -> object:
    """Hold the best genuine unit for a ticket (Idempotency-Key required)."""
    reservation = reservations.reserve(session, actor=actor, data=data)
    return idem.respond(session, 201, reservations.reads(session, [reservation])[0])


@reservation_router.get("", response_model=PageOf[ReservationRead])
def list_reservations(
    session: SessionDep,
    actor: Staff,
    filters: ReservationFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[ReservationRead]:
    """Reservations by status, ticket, engineer or site (staff only)."""
    page = reservations.list_reservations(
        session, actor=actor, filters=filters, limit=limit, cursor=cursor
    )
    return PageOf[ReservationRead](items=page.items, next_cursor=page.next_cursor)


@reservation_router.get("/{reservation_id}", response_model=ReservationRead)
def get_reservation(reservation_id: PathId, session: SessionDep, actor: Staff) -> ReservationRead:
    """One reservation (an overdue active hold reads as expired)."""
    return reservations.get(session, actor=actor, reservation_id=reservation_id)


@reservation_router.post("/{reservation_id}/cancel", response_model=ReservationRead)
def cancel(
    reservation_id: PathId, session: SessionDep, actor: FieldRole, idem: IdempotencyDep
) -> object:
    """Release the hold; a dispatched unit comes back to stock."""
    reservation = reservations.cancel(session, actor=actor, reservation_id=reservation_id)
    return idem.respond(session, 200, reservations.reads(session, [reservation])[0])


@reservation_router.post("/{reservation_id}/dispatch", response_model=ReservationRead)
def dispatch(
    reservation_id: PathId, session: SessionDep, actor: Stockkeeper, idem: IdempotencyDep
) -> object:
    """The warehouse hands the unit over (unit → dispatched)."""
    reservation = reservations.dispatch(session, actor=actor, reservation_id=reservation_id)
    return idem.respond(session, 200, reservations.reads(session, [reservation])[0])


@replacement_router.post("", status_code=201, response_model=ReplacementRead)
def record_replacement(
    data: ReplacementCreate, session: SessionDep, actor: FieldRole, idem: IdempotencyDep
) -> object:
    """Record a replacement confirmed by the customer and the engineer."""
    replacement = replacements.record(session, actor=actor, data=data)
    return idem.respond(session, 201, replacements.reads(session, [replacement])[0])


@replacement_router.get("", response_model=PageOf[ReplacementRead])
def list_replacements(
    session: SessionDep,
    actor: Reader,
    filters: ReplacementFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[ReplacementRead]:
    """Replacements (a customer sees those on its own devices)."""
    page = replacements.list_replacements(
        session, actor=actor, filters=filters, limit=limit, cursor=cursor
    )
    return PageOf[ReplacementRead](items=page.items, next_cursor=page.next_cursor)


@replacement_router.get("/{replacement_id}", response_model=ReplacementRead)
def get_replacement(replacement_id: PathId, session: SessionDep, actor: Reader) -> ReplacementRead:
    """One replacement."""
    return replacements.get(session, actor=actor, replacement_id=replacement_id)


@replacement_router.get(
    "/{replacement_id}/fault-report",
    response_class=Response,
    responses={
        200: {
            "content": {ctype: {} for ctype in fault_report_export.CONTENT_TYPE.values()},
            "description": "故障处理报告: the fault report to sign, as DOCX or PDF (CJK font "
            "embedded).",
        }
    },
)
def fault_report(
    replacement_id: PathId,
    session: SessionDep,
    actor: Reader,
    format: Annotated[DocFormat, Query(description="pdf or docx")] = DocFormat.PDF,
    lang: Annotated[Lang, Query(description="zh or en")] = Lang.ZH,
) -> Response:
    """The fault report document (staff; a customer for its own devices)."""
    report = fault_report_data.load(session, actor=actor, replacement_id=replacement_id)
    name = fault_report_export.filename(report, format, lang)
    return Response(
        fault_report_export.render(report, format, lang),
        media_type=fault_report_export.CONTENT_TYPE[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@replacement_router.patch("/{replacement_id}", response_model=ReplacementRead)
def patch_replacement(
    replacement_id: PathId, data: ReplacementUpdate, session: SessionDep, actor: FieldRole
) -> ReplacementRead:
    """Complete the fault record (times, confirmations and the swap never change: 422)."""
    row = replacements.patch(session, actor=actor, replacement_id=replacement_id, data=data)
    return replacements.reads(session, [row])[0]


@replacement_router.get("/{replacement_id}/edits", response_model=PageOf[ReplacementEditRead])
def replacement_edits(
    replacement_id: PathId,
    session: SessionDep,
    actor: Staff,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[ReplacementEditRead]:
    """Who changed the fault record, when, and each field before and after (staff only)."""
    page = replacements.edits(
        session, actor=actor, replacement_id=replacement_id, limit=limit, cursor=cursor
    )
    return PageOf[ReplacementEditRead](items=page.items, next_cursor=page.next_cursor)


loan_router = Router(prefix="/loans", tags=["lifecycle"])


@loan_router.post("", status_code=201, response_model=LoanRead)
def lend(data: LoanCreate, session: SessionDep, actor: LoanRole, idem: IdempotencyDep) -> object:
    """Lend a standby device (same vendor and model) in place of a failed one."""
    loan = loans.lend(session, actor=actor, data=data)
    return idem.respond(session, 201, loans.reads(session, [loan])[0])


@loan_router.post("/{loan_id}/return", response_model=LoanRead)
def give_back(
    loan_id: PathId, session: SessionDep, actor: LoanRole, idem: IdempotencyDep
) -> object:
    """The standby comes back to the pool."""
    loan = loans.give_back(session, actor=actor, loan_id=loan_id)
    return idem.respond(session, 200, loans.reads(session, [loan])[0])


@loan_router.get("", response_model=PageOf[LoanRead])
def list_loans(
    session: SessionDep,
    actor: LoanReader,
    filters: LoanFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[LoanRead]:
    """Loans by status or site; `overdue=true` lists those out past their due date.

    A customer reads the loans to its own sites."""
    page = loans.list_loans(session, actor=actor, filters=filters, limit=limit, cursor=cursor)
    return PageOf[LoanRead](items=page.items, next_cursor=page.next_cursor)


@loan_router.get("/{loan_id}", response_model=LoanRead)
def get_loan(loan_id: PathId, session: SessionDep, actor: LoanReader) -> LoanRead:
    """One loan (a customer: only a loan to one of its sites)."""
    return loans.get(session, actor=actor, loan_id=loan_id)
