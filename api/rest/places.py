"""Sites of the customers and the contractor's warehouses."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import Admin, Reader, SessionDep
from api.idempotency import IdempotencyDep
from api.schemas import CodeFilter, CodePath, Cursor, Limit, PageOf, ShortFilter
from inventory_service.assets import places
from inventory_service.platform.pagination import DEFAULT_LIMIT
from models import Site
from models.place import (
    SiteCreate,
    SiteRead,
    SiteUpdate,
    WarehouseCreate,
    WarehouseKind,
    WarehouseRead,
)

sites = APIRouter(prefix="/sites", tags=["places"])
warehouses = APIRouter(prefix="/warehouses", tags=["places"])


def site_reads(session: Session, rows: list[Site]) -> list[SiteRead]:
    codes = places.customer_codes(session, {s.customer_id for s in rows})
    return [
        SiteRead.model_validate(s.model_dump() | {"customer_code": codes[s.customer_id]})
        for s in rows
    ]


@sites.post("", status_code=201, response_model=SiteRead)
def create_site(
    data: SiteCreate, session: SessionDep, actor: Admin, idem: IdempotencyDep
) -> object:
    """Register a customer's site; the answer adds its hub distance and band."""
    site = places.create_site(session, actor=actor, data=data)
    return idem.respond(session, 201, site_reads(session, [site])[0])


@sites.get("", response_model=PageOf[SiteRead])
def list_sites(
    session: SessionDep,
    actor: Reader,
    customer_code: CodeFilter = None,
    city: ShortFilter = None,
    hub_band_minutes: int | None = None,
    covered: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[SiteRead]:
    """Sites the caller may see, by customer, city, band, or covered (within the last band)."""
    page = places.list_sites(
        session,
        actor=actor,
        limit=limit,
        cursor=cursor,
        customer_code=customer_code,
        city=city,
        band_minutes_=hub_band_minutes,
        covered=covered,
    )
    return PageOf[SiteRead](items=site_reads(session, page.items), next_cursor=page.next_cursor)


@sites.get("/{code}", response_model=SiteRead)
def get_site(code: CodePath, session: SessionDep, actor: Reader) -> SiteRead:
    """One site by code."""
    return site_reads(session, [places.get_site(session, actor=actor, code=code)])[0]


@sites.patch("/{code}", response_model=SiteRead)
def update_site(code: CodePath, data: SiteUpdate, session: SessionDep, actor: Admin) -> SiteRead:
    """Change a site (e.g. a measured road distance); distance and band are recomputed."""
    site = places.update_site(session, actor=actor, code=code, data=data)
    return site_reads(session, [site])[0]


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
    kind: WarehouseKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[WarehouseRead]:
    """Warehouses, by kind."""
    page = places.list_warehouses(
        session, limit=limit, cursor=cursor, kind=kind.value if kind else None
    )
    return PageOf[WarehouseRead](
        items=[WarehouseRead.model_validate(w) for w in page.items], next_cursor=page.next_cursor
    )


@warehouses.get("/{code}", response_model=WarehouseRead)
def get_warehouse(code: CodePath, session: SessionDep, actor: Reader) -> WarehouseRead:
    """One warehouse by code."""
    return WarehouseRead.model_validate(places.get_warehouse(session, code=code))
