"""Test data made through the services, so tests obey the same rules as the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from inventory_service import catalogue, places
from inventory_service.auth import Caller
from models import Customer, Part, Role
from models.part import PartCreate
from models.place import CustomerCreate

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
