"""Loads the demo data through the services, step by step; every step is idempotent.

Rules: data lives in `seed/data/` as plain files; the loader never writes tables directly,
so the demo obeys the same rules (validation, history, ledger) as the API.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlmodel import Session, col, select

from inventory_service import auth, catalogue, places
from inventory_service.auth import Caller
from inventory_service.db import Database
from inventory_service.progress import Progress
from models import ApiToken, Customer, Part, Role, Warehouse, WarehouseKind
from models.base import utcnow
from models.part import PartCreate
from models.place import CustomerCreate, WarehouseCreate

DATA = Path(__file__).parent / "data"
SEED_ACTOR = Caller(token_id=0, name="seed", role=Role.ADMIN)
DEMO_PREFIX = "demo-"


def rows(name: str) -> Iterator[dict[str, str]]:
    """The rows of a CSV data file."""
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def load_customers(session: Session) -> int:
    existing = set(session.exec(select(Customer.code)).all())
    added = 0
    for row in rows("customers.csv"):
        if row["code"] in existing:
            continue
        places.create_customer(
            session, actor=SEED_ACTOR, data=CustomerCreate(code=row["code"], name=row["name"])
        )
        added += 1
    return added


def load_parts(session: Session) -> int:
    existing = set(session.exec(select(Part.part_number)).all())
    added = 0
    for item in json.loads((DATA / "parts.json").read_text(encoding="utf-8")):
        if item["part_number"] in existing:
            continue
        catalogue.create_part(session, actor=SEED_ACTOR, data=PartCreate.model_validate(item))
        added += 1
    return added


def load_warehouses(session: Session) -> int:
    existing = set(session.exec(select(Warehouse.code)).all())
    added = 0
    for row in rows("warehouses.csv"):
        if row["code"] in existing:
            continue
        data = WarehouseCreate(
            code=row["code"],
            name=row["name"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            kind=WarehouseKind(row["kind"]),
            handling_minutes=int(row["handling_minutes"]),
        )
        places.create_warehouse(session, actor=SEED_ACTOR, data=data)
        added += 1
    return added


Step = Callable[[Session], int]
STEPS: list[tuple[str, Step]] = [
    ("customers", load_customers),
    ("parts", load_parts),
    ("warehouses", load_warehouses),
]


def load_demo(db: Database, *, progress: bool = False) -> dict[str, int]:
    """Run every step in its own transaction; returns how many rows each step added."""
    counts: dict[str, int] = {}
    with Progress("seed", total=len(STEPS), enabled=progress) as bar:
        for name, step in STEPS:
            with db.transaction() as session:
                counts[name] = step(session)
            bar.advance()
    return counts


def demo_tokens(session: Session) -> dict[str, str]:
    """Revoke earlier demo tokens; issue one per role (customer: the first customer's)."""
    now = utcnow()
    for old in session.exec(
        select(ApiToken).where(
            col(ApiToken.name).startswith(DEMO_PREFIX), col(ApiToken.revoked_at).is_(None)
        )
    ).all():
        old.revoked_at = now
        session.add(old)
    first_customer = session.exec(select(Customer.code).order_by(col(Customer.id))).first()
    issued: dict[str, str] = {}
    for role in Role:
        customer = first_customer if role is Role.CUSTOMER else None
        if role is Role.CUSTOMER and customer is None:
            continue
        token = auth.create_token(
            session, role=role.value, customer_code=customer, name=f"{DEMO_PREFIX}{role.value}"
        )
        issued[role.value if customer is None else f"{role.value}:{customer}"] = token.token
    auth.clear_cache()
    return issued
