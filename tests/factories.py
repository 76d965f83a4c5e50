"""Test data made through the services, so tests obey the same rules as the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from inventory_service import catalogue, places, stock
from inventory_service.auth import Caller
from models import (
    Component,
    Customer,
    Device,
    Part,
    Role,
    Site,
    SpareUnit,
    Warehouse,
    WarehouseKind,
)
from models.part import PartCreate
from models.place import CustomerCreate, SiteCreate, WarehouseCreate
from models.spare import Condition, Provenance, SpareReceive

ACTOR = Caller(token_id=0, name="factory", role=Role.ADMIN)


def customer(session: Session, code: str = "LNXX", name: str = "辽宁XX") -> Customer:
    return places.create_customer(session, actor=ACTOR, data=CustomerCreate(code=code, name=name))


def part(
    session: Session,
    part_number: str = "PSU-750W",
    *,
    category: str = "server_psu",
    specs: dict[str, Any] | None = None,
    name: str | None = None,
    vendor: str = "Dell",
) -> Part:
    return catalogue.create_part(
        session,
        actor=ACTOR,
        data=PartCreate(
            part_number=part_number,
            name=name or part_number,
            vendor=vendor,
            category=category,
            specs=specs if specs is not None else {"watts": 750, "input": "AC"},
        ),
    )


def site(
    session: Session,
    code: str = "SY-01",
    *,
    customer_code: str = "LNXX",
    lat: float = 41.8057,
    lon: float = 123.4315,
    city: str = "Shenyang",
    distance_km_override: float | None = None,
) -> Site:
    return places.create_site(
        session,
        actor=ACTOR,
        data=SiteCreate(
            code=code,
            name=code,
            customer_code=customer_code,
            city=city,
            lat=lat,
            lon=lon,
            distance_km_override=distance_km_override,
        ),
    )


def warehouse(
    session: Session,
    code: str = "WH-SY",
    *,
    lat: float = 41.8057,
    lon: float = 123.4315,
    kind: str = "central",
    handling_minutes: int = 0,
) -> Warehouse:
    return places.create_warehouse(
        session,
        actor=ACTOR,
        data=WarehouseCreate(
            code=code,
            name=code,
            lat=lat,
            lon=lon,
            kind=WarehouseKind(kind),
            handling_minutes=handling_minutes,
        ),
    )


def spare(
    session: Session,
    serial: str,
    *,
    part_number: str = "PSU-750W",
    warehouse_code: str = "WH-SY",
    genuine: bool = True,
    provenance: dict[str, str] | None = None,
    condition: str = "new",
) -> SpareUnit:
    """Receive a unit (complete provenance unless given otherwise)."""
    given = (
        provenance
        if provenance is not None
        else {"supplier": "Dell China", "channel": "authorised distributor", "document": "PO-1"}
    )
    return stock.receive(
        session,
        actor=ACTOR,
        data=SpareReceive(
            part_number=part_number,
            serial=serial,
            warehouse_code=warehouse_code,
            genuine=genuine,
            provenance=Provenance(**given),
            condition=Condition(condition),
        ),
    )


def faulty_unit(session: Session, serial: str, *, part_number: str = "PSU-750W") -> SpareUnit:
    """A part removed from a device and back at WH-SY as `faulty`."""
    found = catalogue.get_part(session, part_number=part_number)
    warehouse_ = places.get_warehouse(session, code="WH-SY")
    assert found.id is not None
    assert warehouse_.id is not None
    return stock.register_removed(
        session,
        actor=ACTOR,
        part_id=found.id,
        serial=serial,
        warehouse_id=warehouse_.id,
        genuine=True,
        reference="test",
    )


def installed_part(
    session: Session, *, site_code: str, part_number: str, serial: str, slot: str = "PSU1"
) -> Component:
    """A device at the site with one component of `part_number` installed.

    Written as raw rows, clearly a stand-in: `register.create_device` (branch `register`) is
    not on main yet; switch to it once merged.
    """
    found_site = places.get_site(session, actor=ACTOR, code=site_code)
    found_part = catalogue.get_part(session, part_number=part_number)
    assert found_site.id is not None
    assert found_part.id is not None
    device = Device(
        site_id=found_site.id,
        vendor="Dell",
        model="R750",
        hostname=f"h-{serial}",
        serial=f"D{serial}",
    )
    session.add(device)
    session.flush()
    assert device.id is not None
    component = Component(device_id=device.id, slot=slot, part_id=found_part.id, serial=serial)
    session.add(component)
    session.flush()
    return component


def device(
    session: Session,
    serial: str,
    *,
    site_code: str = "SY-01",
    vendor: str = "Huawei",
    model: str = "NE40E-X8",
    status: str = "in_service",
    patch_level: str | None = None,
    components: list[tuple[str, str, str]] | None = None,
) -> Device:
    """Register a device through the register (components as (slot, part_number, serial))."""
    from inventory_service import register
    from models.device import ComponentCreate, DeviceCreate, DeviceStatus

    return register.create_device(
        session,
        actor=ACTOR,
        data=DeviceCreate(
            site_code=site_code,
            vendor=vendor,
            model=model,
            hostname=f"h-{serial}",
            serial=serial,
            status=DeviceStatus(status),
            patch_level=patch_level,
            components=[
                ComponentCreate(slot=slot, part_number=pn, serial=sn)
                for slot, pn, sn in (components or [])
            ],
        ),
    )
