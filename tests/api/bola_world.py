"""Two customers' worlds for the BOLA sweep (`tests/api/test_bola.py`).

Customer B (`LNBETA`) owns one of everything a customer can own or be linked to: a site,
devices with components and history, a replacement with its fault record, an active
reservation, a unit of a part installed only at B's (with an approved alternate), a faulty
unit at repair, a standby lent to B's site, a stocktake that counted B's unit. Customer A
(`LNALFA`) owns the same kinds of things, so A's own lists are not empty. Everything of B's
carries `BETA` in its code or serial and nothing else does: an answer to A that holds the
text `BETA` has leaked something of B's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlmodel import Session, select

from inventory_service.lifecycle import loans
from inventory_service.platform.db import Database
from inventory_service.warehouse import catalogue, stocktakes
from models import SpareUnit
from models.base import utcnow
from models.part import AlternateCreate
from models.reservation import LoanCreate
from models.spare import StocktakeCreate, StocktakeLine
from tests import factories

MARKER = "BETA"
A, B = "LNALFA", "LNBETA"
SITE_A, SITE_B = "SY-ALFA", "SY-BETA"
PART_A, PART_B = "PN-ALFA", "PN-BETA"
PART_B_ALTERNATE = "PN-ALTB"  # another vendor's part approved to replace PART_B
WAREHOUSE = "WH-SY"
REPLACED_AT = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)  # in the report of MONTH (local time)
MONTH = "2026-10"


class Kind(Enum):
    """What a case expects (see `tests/api/test_bola.py`)."""

    OWN = "own"
    LIST = "list"
    SHARED = "shared"
    STAFF = "staff"
    WRITE = "write"


@dataclass(frozen=True)
class World:
    """B's objects (ids and codes) that the cases aim at."""

    device: int  # B's device with a component in slot PSU1 and a replacement on record
    replacement: int
    reservation: int  # active, for B's second device
    spare: int  # an available unit of PART_B (installed only at B's)
    faulty_spare: int  # the unit removed from B's device, faulty at the warehouse
    repair: int  # a repair order of another faulty PART_B unit
    loan: int  # a standby lent to B's site
    loan_standby: int
    loan_replaces: int
    stocktake: int


def _customer_things(session: Session, customer: str, site: str, part: str) -> tuple[int, int]:
    """The customer, its site, its part (a category of its own: never a substitute of the
    other's), a device with the part in PSU1 and a replacement on it: (replacement, device)."""
    factories.customer(session, customer, name=f"客户{customer}")
    factories.site(session, site, customer_code=customer)
    factories.part(session, part, category=f"psu_{customer.lower()}")
    replacement = factories.replacement_row(
        session,
        f"{customer[2:]}-1",
        replaced_at=REPLACED_AT,
        duration_minutes=120,
        site_code=site,
        customer_code=customer,
        part_number=part,
        cause=f"cause at {customer}",
    )
    assert replacement.id is not None
    return replacement.id, replacement.device_id


def build(db: Database) -> World:
    """Both customers' things, made through the services."""
    with db.transaction() as session:
        factories.warehouse(session, WAREHOUSE)
        _customer_things(session, A, SITE_A, PART_A)
        factories.spare(session, "SP-ALFA-2", part_number=PART_A)
        replacement, device = _customer_things(session, B, SITE_B, PART_B)
        _, reservation = factories._held_for_replacement(
            session,
            "BETA-2",
            site_code=SITE_B,
            customer_code=B,
            part_number=PART_B,
            engineer="王工",
        )
        spare = factories.spare(session, "SP-BETA-3", part_number=PART_B)
        factories.part(session, PART_B_ALTERNATE, vendor="HPE", category="psu_lnbeta")
        catalogue.add_alternate(
            session,
            actor=factories.ACTOR,
            part_number=PART_B,
            data=AlternateCreate(part_number=PART_B_ALTERNATE, document="approval N-1"),
        )
        faulty = session.exec(select(SpareUnit).where(SpareUnit.serial == "OLD-BETA-1")).one()
        at_repair = factories.faulty_unit(session, "FX-BETA-4", part_number=PART_B)
        repair = factories.repair_row(
            session, "BETA-4", sent_at=utcnow() - timedelta(days=1), spare_id=at_repair.id
        )
        loan, standby, replaces = _loan_to_b(session)
        counted = stocktakes.take(
            session,
            actor=factories.ACTOR,
            warehouse_code=WAREHOUSE,
            data=StocktakeCreate(counted=[StocktakeLine(serial="SP-BETA-3")], note="BETA count"),
        )
    ids = (spare.id, faulty.id, repair.id, counted.id)
    assert None not in ids
    return World(
        device=device,
        replacement=replacement,
        reservation=reservation,
        spare=spare.id or 0,
        faulty_spare=faulty.id or 0,
        repair=repair.id or 0,
        loan=loan,
        loan_standby=standby,
        loan_replaces=replaces,
        stocktake=counted.id or 0,
    )


def _loan_to_b(session: Session) -> tuple[int, int, int]:
    """A standby of the contractor's pool (at a third customer's site) lent to B's site in
    place of B's failed device: (loan, standby device, replaced device)."""
    factories.customer(session, "LNPOOL")
    factories.site(session, "SY-POOL", customer_code="LNPOOL")
    standby = factories.device(session, "SB-POOL-1", site_code="SY-POOL", status="standby")
    failed = factories.device(session, "NE-BETA-9", site_code=SITE_B, status="faulty")
    assert standby.id is not None
    assert failed.id is not None
    loan = loans.lend(
        session,
        actor=factories.ACTOR,
        data=LoanCreate(
            standby_device_id=standby.id,
            site_code=SITE_B,
            replaces_device_id=failed.id,
            ticket="INC-BETA-9",
            due_at=utcnow() + timedelta(days=3),
        ),
    )
    assert loan.id is not None
    return loan.id, standby.id, failed.id
