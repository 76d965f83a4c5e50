"""Loads the demo data through the services, step by step; every step is idempotent.

Rules: data lives in `seed/data/` as plain files; the loader never writes tables directly,
so the demo obeys the same rules (validation, history, ledger) as the API.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from sqlmodel import Session, col, select

from inventory_service.assets import places
from inventory_service.platform import auth
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.progress import Progress
from inventory_service.warehouse import catalogue, stock
from models import ApiToken, Customer, Part, Role, SpareUnit, Warehouse, WarehouseKind
from models.base import utcnow
from models.part import AlternateCreate, PartCreate
from models.place import CustomerCreate, WarehouseCreate
from models.spare import Condition, Provenance, SpareReceive
from seed import history
from seed.devices import load_devices, load_sites

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


SPARES_SEED: Final = 20260401
SPARES_TOTAL: Final = 800
# Central warehouse first: most stock sits in Shenyang, the depots hold the fast movers.
SPARES_SHARE: Final = (("WH-SY", 0.55), ("WH-DL", 0.17), ("WH-JZ", 0.14), ("WH-DD", 0.14))
SUPPLIERS: Final = {
    "Huawei": "华为技术有限公司",
    "Cisco": "思科系统(中国)网络技术有限公司",
    "H3C": "新华三技术有限公司",
    "Dell": "戴尔(中国)有限公司",
    "HPE": "慧与(中国)有限公司",
    "IBM": "国际商业机器(中国)有限公司",
    "Inspur": "浪潮电子信息产业股份有限公司",
}
CHANNELS: Final = ("原厂直供", "原厂授权渠道", "原厂授权总代理")
SERIAL_PREFIX: Final = {
    "Huawei": "2102",
    "Cisco": "FOC",
    "H3C": "210235A",
    "Dell": "CN0",
    "HPE": "7CE",
    "IBM": "YL10",
    "Inspur": "IS",
}
_ALNUM: Final = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def demo_spares() -> list[SpareReceive]:
    """The demo stock: deterministic (fixed seed), ~800 units over the demo parts."""
    rng = random.Random(SPARES_SEED)
    parts = json.loads((DATA / "parts.json").read_text(encoding="utf-8"))
    codes = [code for code, _ in SPARES_SHARE]
    weights = [share for _, share in SPARES_SHARE]
    units: list[SpareReceive] = []
    serials: set[tuple[str, str]] = set()
    while len(units) < SPARES_TOTAL:
        item = rng.choice(parts)
        vendor = item["vendor"]
        serial = SERIAL_PREFIX.get(vendor, "SN") + "".join(rng.choices(_ALNUM, k=12))
        if (item["part_number"], serial) in serials:
            continue
        serials.add((item["part_number"], serial))
        roll = rng.random()
        genuine = roll >= 0.015  # a dozen grey-market units the inspection must see
        provenance = Provenance(
            supplier=SUPPLIERS.get(vendor, vendor) if genuine else "沈阳三好街电子市场商户",
            channel=rng.choice(CHANNELS) if genuine else "市场采购",
            document=f"PO-2026-{rng.randint(1, 999):04d}",
        )
        if genuine and roll < 0.03:  # documents still to come from the distributor
            provenance = provenance.model_copy(update={"document": ""})
        units.append(
            SpareReceive(
                part_number=item["part_number"],
                serial=serial,
                warehouse_code=rng.choices(codes, weights)[0],
                genuine=genuine,
                provenance=provenance,
                condition=Condition.REFURBISHED if rng.random() < 0.08 else Condition.NEW,
            )
        )
    return units


def load_spares(session: Session) -> int:
    existing = set(
        session.exec(
            select(Part.part_number, SpareUnit.serial).join(
                Part, col(Part.id) == col(SpareUnit.part_id)
            )
        ).all()
    )
    added = 0
    for data in demo_spares():
        if (data.part_number, data.serial) in existing:
            continue
        stock.receive(session, actor=SEED_ACTOR, data=data)
        added += 1
    return added


def load_alternates(session: Session) -> int:
    """OEM-qualified third-party optics: their parts, their approvals and a few units."""
    data = json.loads((DATA / "alternates.json").read_text(encoding="utf-8"))
    added = 0
    known = set(session.exec(select(Part.part_number)).all())
    for item in data["parts"]:
        if item["part_number"] not in known:
            catalogue.create_part(session, actor=SEED_ACTOR, data=PartCreate.model_validate(item))
            added += 1
    for item in data["alternates"]:
        part = catalogue.get_part(session, part_number=item["part_number"])
        listed = {a.part_number for a in catalogue.read_part(session, part).alternates}
        if item["alternate"] in listed:
            continue
        catalogue.add_alternate(
            session,
            actor=SEED_ACTOR,
            part_number=item["part_number"],
            data=AlternateCreate(part_number=item["alternate"], document=item["document"]),
        )
        added += 1
    stocked = set(session.exec(select(SpareUnit.serial)).all())
    for item in data["spares"]:
        if item["serial"] in stocked:
            continue
        receipt = SpareReceive(
            part_number=item["part_number"],
            serial=item["serial"],
            warehouse_code=item["warehouse_code"],
            genuine=True,
            provenance=Provenance(
                supplier=item["supplier"], channel=item["channel"], document=item["document"]
            ),
            condition=Condition.NEW,
        )
        stock.receive(session, actor=SEED_ACTOR, data=receipt)
        added += 1
    return added


Step = Callable[[Session], int]
STEPS: list[tuple[str, Step]] = [
    ("customers", load_customers),
    ("parts", load_parts),
    ("warehouses", load_warehouses),
    ("spares", load_spares),
    ("alternates", load_alternates),
    ("sites", load_sites),
    ("devices", load_devices),
]


def load_demo(db: Database, *, progress: bool = False) -> dict[str, int]:
    """Run every step in its own transaction; returns how many rows each step added."""
    counts: dict[str, int] = {}
    with Progress("seed", total=len(STEPS) + 1, enabled=progress) as bar:
        for name, step in STEPS:
            with db.transaction() as session:
                counts[name] = step(session)
            bar.advance()
        # Six months of faults, replacements, repairs, loans, holds and a stocktake.
        for name, added in history.load_history(db).items():
            counts[f"history.{name}"] = added
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
