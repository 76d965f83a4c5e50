"""Test data made through the services, so tests obey the same rules as the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from inventory_service.assets import places
from inventory_service.lifecycle import repairs
from inventory_service.platform.auth import Caller
from inventory_service.warehouse import catalogue, stock
from models import (
    Component,
    Customer,
    Device,
    Part,
    RepairOrder,
    Replacement,
    Reservation,
    Role,
    Site,
    SpareUnit,
    Warehouse,
    WarehouseKind,
)
from models.part import PartCreate
from models.place import CustomerCreate, SiteCreate, WarehouseCreate
from models.reservation import RepairCreate, RepairOutcome
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
    """A device at the site with one component of `part_number` installed (via the register)."""
    made = device(
        session,
        f"D{serial}",
        site_code=site_code,
        vendor="Dell",
        model="R750",
        components=[(slot, part_number, serial)],
    )
    return session.exec(
        select(Component).where(Component.device_id == made.id, Component.slot == slot)
    ).one()


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
    from inventory_service.assets import register
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


def _ensure_places(
    session: Session, *, customer_code: str, site_code: str, part_number: str
) -> tuple[Site, Part, Warehouse]:
    """The site (and its customer), the part and warehouse WH-SY, made through the services
    when missing."""
    if session.exec(select(Customer).where(Customer.code == customer_code)).first() is None:
        customer(session, customer_code, name=f"客户{customer_code}")
    found_site = session.exec(select(Site).where(Site.code == site_code)).first()
    if found_site is None:
        found_site = site(session, site_code, customer_code=customer_code)
    found_part = session.exec(select(Part).where(Part.part_number == part_number)).first()
    if found_part is None:
        found_part = part(session, part_number, name=f"{part_number} 模块")
    found_wh = session.exec(select(Warehouse).where(Warehouse.code == "WH-SY")).first()
    if found_wh is None:
        found_wh = warehouse(session, "WH-SY")
    return found_site, found_part, found_wh


def _hold(
    session: Session,
    dev: Device,
    new: SpareUnit,
    *,
    site_code: str,
    part_number: str,
    serial: str,
    engineer: str,
) -> Reservation:
    """The unit `new` reserved for the device `dev` (ticket `T-<serial>`)."""
    from inventory_service.lifecycle import reservations
    from models.reservation import ReservationCreate

    return reservations.reserve(
        session,
        actor=ACTOR,
        data=ReservationCreate(
            site_code=site_code,
            part_number=part_number,
            ticket=f"T-{serial}",
            engineer=engineer,
            device_id=dev.id,
            spare_id=new.id,
            require_within_deadline=False,
        ),
    )


def _held_for_replacement(
    session: Session,
    serial: str,
    *,
    site_code: str,
    customer_code: str,
    part_number: str,
    engineer: str,
) -> tuple[int, int]:
    """A device with `part_number` in PSU1 (`OLD-<serial>`) and a unit (`NEW-<serial>`) reserved
    for it: (device id, reservation id)."""
    site_, _, wh = _ensure_places(
        session, customer_code=customer_code, site_code=site_code, part_number=part_number
    )
    dev = device(
        session,
        f"DEV-{serial}",
        site_code=site_.code,
        vendor="Dell",
        model="R750",
        components=[("PSU1", part_number, f"OLD-{serial}")],
    )
    new = spare(session, f"NEW-{serial}", part_number=part_number, warehouse_code=wh.code)
    held = _hold(
        session,
        dev,
        new,
        site_code=site_.code,
        part_number=part_number,
        serial=serial,
        engineer=engineer,
    )
    assert held.id is not None
    assert dev.id is not None
    return dev.id, held.id


def replacement_row(
    session: Session,
    serial: str,
    *,
    replaced_at: datetime,
    duration_minutes: int,
    site_code: str = "SY-01",
    customer_code: str = "LNXX",
    part_number: str = "PSU-750W",
    fault_level: str = "major",
    reason: str = "电源模块故障",
    fault_impact: str = "单电源运行，业务未中断",
    engineer: str = "王工",
    arrival_minutes: int | None = None,
    **fault_record: Any,
) -> Replacement:
    """One replacement at `replaced_at`, `duration_minutes` after the fault was reported,
    made through the lifecycle: a device with the part in slot PSU1 (`OLD-<serial>`), a unit
    received (`NEW-<serial>`), reserved for the device and recorded as its replacement; the
    engineer arrived `arrival_minutes` after the report (no arrival when None)."""
    from inventory_service.lifecycle import replacements
    from models.reservation import FaultLevel, ReplacementCreate

    device_id, reservation_id = _held_for_replacement(
        session,
        serial,
        site_code=site_code,
        customer_code=customer_code,
        part_number=part_number,
        engineer=engineer,
    )
    reported = replaced_at - timedelta(minutes=duration_minutes)
    return replacements.record(
        session,
        actor=ACTOR,
        data=ReplacementCreate(
            reservation_id=reservation_id,
            device_id=device_id,
            removed_serial=f"OLD-{serial}",
            reason=reason,
            fault_level=FaultLevel(fault_level),
            fault_impact=fault_impact,
            fault_reported_at=reported,
            arrived_at=None
            if arrival_minutes is None
            else reported + timedelta(minutes=arrival_minutes),
            replaced_at=replaced_at,
            customer_confirmed_by="客户-李",
            engineer_confirmed_by=engineer,
            **fault_record,
        ),
    )


def repair_row(
    session: Session,
    serial: str,
    *,
    sent_at: datetime,
    received_at: datetime | None = None,
    outcome: str | None = None,
    part_number: str = "PSU-750W",
    spare_id: int | None = None,
) -> RepairOrder:
    """A repair order sent at `sent_at` and, with `outcome`, closed at `received_at`.

    The unit (a new faulty one, or `spare_id`, which must be faulty) goes through
    `repairs.send`/`repairs.receive`, so the ledger holds every step; those stamp the time
    of the call, so the order's `sent_at`/`received_at` are then set to the dates the test
    needs (the ledger rows keep the real time: it is append-only).
    """
    if spare_id is None:
        _ensure_places(session, customer_code="LNXX", site_code="SY-01", part_number=part_number)
        spare_id = faulty_unit(session, serial, part_number=part_number).id
    assert spare_id is not None
    order = repairs.send(
        session,
        actor=ACTOR,
        data=RepairCreate(spare_id=spare_id, vendor="Dell", rma_number=f"RMA-{serial}"),
    )
    if outcome is not None:
        assert order.id is not None
        repairs.receive(session, actor=ACTOR, repair_id=order.id, outcome=RepairOutcome(outcome))
        order.received_at = received_at or sent_at
    order.sent_at = sent_at
    session.add(order)
    session.flush()
    return order
