"""The parts catalogue and the substitution rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from api.deps import Admin, Reader, SessionDep, Stockkeeper
from api.filters import query_filters
from api.idempotency import IdempotencyDep
from api.routing import Router
from api.schemas import CodePath, Cursor, Limit, PageOf
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.warehouse import catalogue
from models.part import AlternateCreate, PartCreate, PartRead

router = Router(prefix="/parts", tags=["spares"])


@router.post("", status_code=201, response_model=PartRead)
def create_part(
    data: PartCreate, session: SessionDep, actor: Stockkeeper, idem: IdempotencyDep
) -> object:
    """Add a part number to the catalogue."""
    part = catalogue.create_part(session, actor=actor, data=data)
    return idem.respond(session, 201, catalogue.read_part(session, part))


PartFilters = Annotated[catalogue.PartFilter, Depends(query_filters(catalogue.PartFilter))]


@router.get("", response_model=PageOf[PartRead])
def list_parts(
    session: SessionDep,
    actor: Reader,
    filters: PartFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[PartRead]:
    """Catalogue parts, filtered by category, vendor or part number."""
    page = catalogue.list_parts(session, filters=filters, limit=limit, cursor=cursor)
    return PageOf[PartRead](items=page.items, next_cursor=page.next_cursor)


@router.get("/{part_number}", response_model=PartRead)
def get_part(part_number: CodePath, session: SessionDep, actor: Reader) -> PartRead:
    """One part by number, with its approved alternates."""
    return catalogue.read_part(session, catalogue.get_part(session, part_number=part_number))


@router.get("/{part_number}/substitutes", response_model=list[PartRead])
def list_substitutes(part_number: CodePath, session: SessionDep, actor: Reader) -> list[PartRead]:
    """Parts that may replace this one under the contract's rule (itself first)."""
    part = catalogue.get_part(session, part_number=part_number)
    return catalogue.read_parts(session, catalogue.substitutes(session, part=part))


@router.post("/{part_number}/alternates", status_code=201, response_model=PartRead)
def add_alternate(
    part_number: CodePath,
    data: AlternateCreate,
    session: SessionDep,
    actor: Admin,
    idem: IdempotencyDep,
) -> object:
    """Approve another part (another vendor's too) to replace this one, on a written approval.

    One way: the alternate may replace this part, not the reverse. Answers the part as
    `GET /parts/{part_number}` returns it."""
    part = catalogue.add_alternate(session, actor=actor, part_number=part_number, data=data)
    return idem.respond(session, 201, catalogue.read_part(session, part))


@router.delete("/{part_number}/alternates/{alternate}", status_code=204)
def remove_alternate(
    part_number: CodePath, alternate: CodePath, session: SessionDep, actor: Admin
) -> Response:
    """Withdraw an approved alternate."""
    catalogue.remove_alternate(
        session, actor=actor, part_number=part_number, alternate_number=alternate
    )
    return Response(status_code=204)
