"""The parts catalogue and the substitution rule."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Reader, SessionDep, Stockkeeper
from api.idempotency import IdempotencyDep
from api.schemas import CodeFilter, CodePath, Cursor, Limit, PageOf, ShortFilter, page_of
from inventory_service.platform.pagination import DEFAULT_LIMIT
from inventory_service.warehouse import catalogue
from models.part import PartCreate, PartRead

router = APIRouter(prefix="/parts", tags=["spares"])


@router.post("", status_code=201, response_model=PartRead)
def create_part(
    data: PartCreate, session: SessionDep, actor: Stockkeeper, idem: IdempotencyDep
) -> object:
    """Add a part number to the catalogue."""
    part = catalogue.create_part(session, actor=actor, data=data)
    return idem.respond(session, 201, PartRead.model_validate(part))


@router.get("", response_model=PageOf[PartRead])
def list_parts(
    session: SessionDep,
    actor: Reader,
    category: ShortFilter = None,
    vendor: ShortFilter = None,
    part_number: CodeFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[PartRead]:
    """Catalogue parts, filtered by category, vendor or part number."""
    page = catalogue.list_parts(
        session,
        limit=limit,
        cursor=cursor,
        category=category,
        vendor=vendor,
        part_number=part_number,
    )
    return page_of(page, PartRead.model_validate)


@router.get("/{part_number}", response_model=PartRead)
def get_part(part_number: CodePath, session: SessionDep, actor: Reader) -> PartRead:
    """One part by number."""
    return PartRead.model_validate(catalogue.get_part(session, part_number=part_number))


@router.get("/{part_number}/substitutes", response_model=list[PartRead])
def list_substitutes(part_number: CodePath, session: SessionDep, actor: Reader) -> list[PartRead]:
    """Parts that may replace this one under the contract's rule (itself first)."""
    part = catalogue.get_part(session, part_number=part_number)
    return [PartRead.model_validate(p) for p in catalogue.substitutes(session, part=part)]
