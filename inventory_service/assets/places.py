"""Customers, sites and warehouses.

Rules: codes are unique; a customer caller sees only its own customer and its sites (others
are NotFound, never Forbidden, so that existence does not leak); a site's `hub_distance_km` is
its `distance_km_override` when set, else the WGS-84 geodesic from the hub, and its
`hub_band_minutes` the band of that unrounded distance — both recomputed whenever the site
changes, and for every place by `recompute_hub_distances` when the settings change (the
service runs it at start-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from pydantic import Field
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import Conflict, NotFound, ValidationFailed
from inventory_service.platform.pagination import Page, paginate
from inventory_service.platform.settings import get_settings
from inventory_service.reach.bands import band_minutes
from inventory_service.reach.geo import distance_km
from models import Customer, Site, Warehouse, bounds
from models.base import utcnow
from models.place import (
    CustomerCreate,
    CustomerRead,
    SiteCreate,
    SiteRead,
    SiteUpdate,
    WarehouseCreate,
    WarehouseKind,
    WarehouseRead,
)

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """The filters of the customer list (None: any)."""

    code: bounds.CodeFilter = None


@dataclass(frozen=True, slots=True)
class SiteFilter:
    """The filters of the site list (None: any)."""

    customer_code: bounds.CodeFilter = None
    city: bounds.ShortFilter = None
    hub_band_minutes: Annotated[
        int | None, Field(description="The site's on-site response band from the hub (minutes).")
    ] = None
    covered: Annotated[
        bool | None, Field(description="Within the last band from the hub (false: not covered).")
    ] = None


@dataclass(frozen=True, slots=True)
class WarehouseFilter:
    """The filters of the warehouse list (None: any)."""

    kind: WarehouseKind | None = None


def create_customer(session: Session, *, actor: Caller, data: CustomerCreate) -> Customer:
    """Register a customer of the contractor."""
    exists = Conflict(
        f"customer {data.code!r} exists already",
        details=[{"field": "code", "reason": "already exists"}],
    )
    if session.exec(select(Customer.id).where(Customer.code == data.code)).first() is not None:
        raise exists
    customer = Customer(code=data.code, name=data.name)
    session.add(customer)
    flush_or_conflict(session, exists)
    return customer


def list_customers(
    session: Session,
    *,
    actor: Caller,
    filters: CustomerFilter,
    limit: int,
    cursor: str | None,
) -> Page[CustomerRead]:
    """Customers visible to the caller, by id."""
    stmt = policy.scope(select(Customer), actor, col(Customer.id))
    if filters.code is not None:
        stmt = stmt.where(Customer.code == filters.code)
    return paginate(
        session,
        stmt,
        id_column=Customer.id,
        limit=limit,
        cursor=cursor,
        to_item=CustomerRead.model_validate,
        id_of=lambda c: c.id,
    )


def get_customer(session: Session, *, actor: Caller, code: str) -> Customer:
    """One customer by code, if the caller may see it."""
    customer = session.exec(select(Customer).where(Customer.code == code)).first()
    if customer is None or not policy.owns(actor, customer.id):
        raise NotFound(f"customer {code!r} not found")
    return customer


def _hub_distance_km(lat: float, lon: float, override: float | None = None) -> float:
    cfg = get_settings()
    if override is not None:
        return override
    return distance_km(cfg.hub_lat, cfg.hub_lon, lat, lon)


def create_site(session: Session, *, actor: Caller, data: SiteCreate) -> Site:
    """Register a customer's site with its distance and on-site band from the hub."""
    customer = session.exec(select(Customer).where(Customer.code == data.customer_code)).first()
    if customer is None:
        raise ValidationFailed.field("customer_code", f"unknown customer {data.customer_code!r}")
    exists = Conflict(
        f"site {data.code!r} exists already",
        details=[{"field": "code", "reason": "already exists"}],
    )
    if session.exec(select(Site.id).where(Site.code == data.code)).first() is not None:
        raise exists
    hub_km = _hub_distance_km(data.lat, data.lon, data.distance_km_override)
    assert customer.id is not None
    site = Site(
        code=data.code,
        name=data.name,
        customer_id=customer.id,
        city=data.city,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        distance_km_override=data.distance_km_override,
        hub_distance_km=hub_km,
        hub_band_minutes=band_minutes(hub_km),
    )
    session.add(site)
    flush_or_conflict(session, exists)
    return site


def update_site(session: Session, *, actor: Caller, code: str, data: SiteUpdate) -> Site:
    """Change a site; its hub distance and band are recomputed."""
    site = session.exec(select(Site).where(Site.code == code).with_for_update()).first()
    if site is None:
        raise NotFound(f"site {code!r} not found")
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(site, field, value)
    site.hub_distance_km = _hub_distance_km(site.lat, site.lon, site.distance_km_override)
    site.hub_band_minutes = band_minutes(site.hub_distance_km)
    site.updated_at = utcnow()
    session.add(site)
    session.flush()
    return site


def _site_scope(stmt: S, actor: Caller) -> S:
    """`stmt` (reading sites) limited to the sites the caller may see."""
    return policy.scope(stmt, actor, col(Site.customer_id))


def site_condition(actor: Caller) -> ColumnElement[bool]:
    """`_site_scope`'s condition on `Site`, for a join's ON clause."""
    return policy.scope_condition(actor, col(Site.customer_id))


def get_site(session: Session, *, actor: Caller, code: str) -> Site:
    """One site by code, if the caller may see it."""
    site = session.exec(_site_scope(select(Site).where(Site.code == code), actor)).first()
    if site is None:
        raise NotFound(f"site {code!r} not found")
    return site


def read_site(session: Session, *, actor: Caller, code: str) -> SiteRead:
    """One site as the surfaces show it, if the caller may see it."""
    return site_reads(session, [get_site(session, actor=actor, code=code)])[0]


def list_sites(
    session: Session,
    *,
    actor: Caller,
    filters: SiteFilter,
    limit: int,
    cursor: str | None,
) -> Page[SiteRead]:
    """Sites visible to the caller, filtered by customer, city and on-site band."""
    stmt = _site_scope(select(Site), actor)
    if filters.customer_code is not None:
        stmt = stmt.join(Customer, col(Customer.id) == col(Site.customer_id)).where(
            Customer.code == filters.customer_code
        )
    if filters.city is not None:
        stmt = stmt.where(Site.city == filters.city)
    if filters.hub_band_minutes is not None:
        stmt = stmt.where(Site.hub_band_minutes == filters.hub_band_minutes)
    if filters.covered is not None:
        band = col(Site.hub_band_minutes)
        stmt = stmt.where(band.is_not(None) if filters.covered else band.is_(None))
    page = paginate(session, stmt, id_column=Site.id, limit=limit, cursor=cursor)
    return Page(items=site_reads(session, page.items), next_cursor=page.next_cursor)


def site_reads(session: Session, rows: list[Site]) -> list[SiteRead]:
    """Sites as the surfaces show them (with their customer's code), in the given order."""
    codes = customer_codes(session, {s.customer_id for s in rows})
    return [
        SiteRead.model_validate(s.model_dump() | {"customer_code": codes[s.customer_id]})
        for s in rows
    ]


def customer_codes(session: Session, customer_ids: set[int]) -> dict[int, str]:
    """Customer id → code for building read models."""
    if not customer_ids:
        return {}
    found = session.exec(
        select(Customer.id, Customer.code).where(col(Customer.id).in_(customer_ids))
    ).all()
    return {cid: code for cid, code in found if cid is not None}


def create_warehouse(session: Session, *, actor: Caller, data: WarehouseCreate) -> Warehouse:
    """Register a stocking point (the central warehouse or a forward depot)."""
    exists = Conflict(
        f"warehouse {data.code!r} exists already",
        details=[{"field": "code", "reason": "already exists"}],
    )
    if session.exec(select(Warehouse.id).where(Warehouse.code == data.code)).first():
        raise exists
    warehouse = Warehouse(
        code=data.code,
        name=data.name,
        lat=data.lat,
        lon=data.lon,
        kind=data.kind.value,
        handling_minutes=data.handling_minutes,
        hub_distance_km=_hub_distance_km(data.lat, data.lon),
    )
    session.add(warehouse)
    flush_or_conflict(session, exists)
    return warehouse


def get_warehouse(session: Session, *, code: str) -> Warehouse:
    """One warehouse by code (the spares list is open to every role, so are warehouses)."""
    warehouse = session.exec(select(Warehouse).where(Warehouse.code == code)).first()
    if warehouse is None:
        raise NotFound(f"warehouse {code!r} not found")
    return warehouse


def list_warehouses(
    session: Session,
    *,
    filters: WarehouseFilter,
    limit: int,
    cursor: str | None,
) -> Page[WarehouseRead]:
    """Warehouses, filtered by kind."""
    stmt = select(Warehouse)
    if filters.kind is not None:
        stmt = stmt.where(Warehouse.kind == filters.kind.value)
    return paginate(
        session,
        stmt,
        id_column=Warehouse.id,
        limit=limit,
        cursor=cursor,
        to_item=WarehouseRead.model_validate,
        id_of=lambda w: w.id,
    )


def recompute_hub_distances(session: Session) -> int:
    """Bring every site's and warehouse's hub distance and band up to the settings in force."""
    changed = 0
    for site in session.exec(select(Site)).all():
        km = _hub_distance_km(site.lat, site.lon, site.distance_km_override)
        band = band_minutes(km)
        if site.hub_distance_km != km or site.hub_band_minutes != band:
            site.hub_distance_km, site.hub_band_minutes = km, band
            session.add(site)
            changed += 1
    for warehouse in session.exec(select(Warehouse)).all():
        km = _hub_distance_km(warehouse.lat, warehouse.lon)
        if warehouse.hub_distance_km != km:
            warehouse.hub_distance_km = km
            session.add(warehouse)
            changed += 1
    session.flush()
    return changed


@dataclass(frozen=True)
class MapPoint:
    code: str
    name: str
    lat: float
    lon: float
    customer_code: str | None = None  # sites only
    handling_minutes: int = 0  # warehouses only


@dataclass(frozen=True)
class MapPoints:
    """What a map of Liaoning shows: the caller's sites and every stocking point."""

    sites: list[MapPoint]
    warehouses: list[MapPoint]


def map_points(session: Session, *, actor: Caller) -> MapPoints:
    """The sites the caller may see and the warehouses, with coordinates (two queries)."""
    sites = session.exec(_site_scope(select(Site), actor).order_by(col(Site.code))).all()
    codes = customer_codes(session, {s.customer_id for s in sites})
    warehouses = session.exec(select(Warehouse).order_by(col(Warehouse.code))).all()
    return MapPoints(
        sites=[
            MapPoint(s.code, s.name, s.lat, s.lon, customer_code=codes.get(s.customer_id))
            for s in sites
        ],
        warehouses=[
            MapPoint(w.code, w.name, w.lat, w.lon, handling_minutes=w.handling_minutes)
            for w in warehouses
        ],
    )
