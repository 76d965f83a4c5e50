"""Customers, sites and warehouses.

Rules: codes are unique; a customer caller sees only its own customer (others are NotFound,
never Forbidden, so that existence does not leak).
"""

from __future__ import annotations

from sqlmodel import Session, select

from inventory_service.auth import Caller
from inventory_service.db import flush_or_conflict
from inventory_service.errors import Conflict, NotFound
from inventory_service.pagination import Page, paginate
from models import Customer
from models.place import CustomerCreate


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
    session: Session, *, actor: Caller, limit: int, cursor: str | None, code: str | None = None
) -> Page[Customer]:
    """Customers visible to the caller, by id."""
    stmt = select(Customer)
    if actor.is_customer:
        stmt = stmt.where(Customer.id == actor.customer_id)
    if code is not None:
        stmt = stmt.where(Customer.code == code)
    return paginate(session, stmt, id_column=Customer.id, limit=limit, cursor=cursor)


def get_customer(session: Session, *, actor: Caller, code: str) -> Customer:
    """One customer by code, if the caller may see it."""
    customer = session.exec(select(Customer).where(Customer.code == code)).first()
    if customer is None or (actor.is_customer and customer.id != actor.customer_id):
        raise NotFound(f"customer {code!r} not found")
    return customer
