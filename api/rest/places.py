"""Sites of the customers and the contractor's warehouses."""

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
from models.place import SiteCreate, SiteRead, SiteUpdate, WarehouseCreate, WarehouseRead

SiteFilters = Annotated[places.SiteFilter, Depends(query_filters(places.SiteFilter))]
WarehouseFilters = Annotated[places.WarehouseFilter, Depends(query_filters(places.WarehouseFilter))]

sites = Router(prefix="/sites", tags=["places"])
warehouses = Router(prefix="/warehouses", tags=["places"])


@sites.post("", status_code=201, response_model=SiteRead)
def create_site(
    data: SiteCreate, session: SessionDep, actor: Admin, idem: IdempotencyDep
) -> object:
    """Register a customer's site; the answer adds its hub distance and band."""
    site = places.create_site(session, actor=actor, data=data)
    return idem.respond(session, 201, places.site_reads(session, [site])[0])


@sites.get("", response_model=PageOf[SiteRead])
def list_sites(
    session: SessionDep,
    actor: Reader,
    filters: SiteFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[SiteRead]:
    """Sites the caller may see, by customer, city, band, or covered (within the last band)."""
    page = places.list_sites(session, actor=actor, filters=filters, limit=limit, cursor=cursor)
    return page_of(page, lambda item: item)


@sites.get("/{code}", response_model=SiteRead)
def get_site(code: CodePath, session: SessionDep, actor: Reader) -> SiteRead:
    """One site by code."""
    return places.read_site(session, actor=actor, code=code)


@sites.patch("/{code}", response_model=SiteRead)
def update_site(code: CodePath, data: SiteUpdate, session: SessionDep, actor: Admin) -> SiteRead:
    """Change a site (e.g. a measured road distance); distance and band are recomputed."""
    site = places.update_site(session, actor=actor, code=code, data=data)
    return places.site_reads(session, [site])[0]


@warehouses.post("", status_code=201, response_model=WarehouseRead)
def create_warehouse(
    data: WarehouseCreate, session: SessionDep, actor: Admin, idem: IdempotencyDep
) -> object:
    """Register a stocking point."""
    warehouse = places.create_warehouse(session, actor=actor, data=data)
    return idem.respond(session, 201, WarehouseRead.model_validate(warehouse))


@warehouses.get("", response_model=PageOf[WarehouseRead])
def list_warehouses(
    session: SessionDep,
    actor: Reader,
    filters: WarehouseFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[WarehouseRead]:
    """Warehouses, by kind."""
    page = places.list_warehouses(session, filters=filters, limit=limit, cursor=cursor)
    return page_of(page, lambda item: item)


@warehouses.get("/{code}", response_model=WarehouseRead)
def get_warehouse(code: CodePath, session: SessionDep, actor: Reader) -> WarehouseRead:
    """One warehouse by code."""
    return WarehouseRead.model_validate(places.get_warehouse(session, code=code))
