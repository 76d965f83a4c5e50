"""Customers: the contractor's clients, each with its sites and devices."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import Admin, Reader, SessionDep
from api.filters import query_filters
from api.idempotency import IdempotencyDep
from api.routing import Router
from api.schemas import CodePath, Cursor, Limit, PageOf, page_of
from inventory_service.assets import places
from inventory_service.platform.pagination import DEFAULT_LIMIT
from models.place import CustomerCreate, CustomerRead

router = Router(prefix="/customers", tags=["places"])


@router.post("", status_code=201, response_model=CustomerRead)
def create_customer(
    data: CustomerCreate, session: SessionDep, actor: Admin, idem: IdempotencyDep
) -> object:
    """Register a customer."""
    customer = places.create_customer(session, actor=actor, data=data)
    return idem.respond(session, 201, CustomerRead.model_validate(customer))


CustomerFilters = Annotated[places.CustomerFilter, Depends(query_filters(places.CustomerFilter))]


@router.get("", response_model=PageOf[CustomerRead])
def list_customers(
    session: SessionDep,
    actor: Reader,
    filters: CustomerFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[CustomerRead]:
    """Customers the caller may see (a customer token sees only itself)."""
    page = places.list_customers(session, actor=actor, filters=filters, limit=limit, cursor=cursor)
    return page_of(page, lambda item: item)


@router.get("/{code}", response_model=CustomerRead)
def get_customer(code: CodePath, session: SessionDep, actor: Reader) -> CustomerRead:
    """One customer by code."""
    return CustomerRead.model_validate(places.get_customer(session, actor=actor, code=code))
