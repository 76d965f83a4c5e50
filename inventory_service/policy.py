"""Who may do what, and what a customer sees: the one place authorisation is written.

Rules that always hold here:
- `ALLOWED` is the one table of roles: each operation (a family of service functions with the
  same audience) maps to the roles that may perform it; `admin` may perform every operation.
  REST dependencies (`api/deps.py`) and GraphQL permissions (`api/graphql/context.py`) are
  generated from it, and the services that are not open to every role check it themselves
  (`authorize`), so no surface can forget it. A refusal is `Forbidden` (403 / `forbidden`).
- A `customer` caller sees only its own customer's things. Lists filter with `scope` (a
  query condition on the customer column); a single thing already read is checked with
  `owns`, and a miss is `NotFound`, never `Forbidden`, so existence never leaks.
- What a customer reads carries no names of the contractor's people and no internal
  references (tickets, RMA numbers): `redact` turns actors into "contractor" and references
  into nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, false

from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import Forbidden
from models import Role


class Operation(StrEnum):
    """What a caller asks to do, named for the audience that may do it."""

    READ = "read"  # the catalogue, places, stock, devices, availability (customers: scoped)
    READ_INTERNAL = "read_internal"  # reservations, repairs, loans, stocktakes, imports
    ADMINISTER = "administer"  # tokens, places, the catalogue, bands
    KEEP_STOCK = "keep_stock"  # receive, verify, transfer, scrap, stocktakes, repairs
    FIELD_WORK = "field_work"  # reserve, dispatch, release, replace
    REGISTER = "register"  # the device register's writes
    LEND = "lend"  # standby loans
    READ_REPORTS = "read_reports"  # the replacement report (customers: their own)
    READ_LOANS = "read_loans"  # standby loans (customers: those to their own sites)


R = Role
_STAFF: Final = frozenset(r for r in Role if r is not R.CUSTOMER)
ALLOWED: Final[Mapping[Operation, frozenset[Role]]] = {
    Operation.READ: frozenset(Role),
    Operation.READ_INTERNAL: _STAFF,
    Operation.ADMINISTER: frozenset({R.ADMIN}),
    Operation.KEEP_STOCK: frozenset({R.ADMIN, R.WAREHOUSE}),
    Operation.FIELD_WORK: frozenset({R.ADMIN, R.ENGINEER, R.DISPATCHER}),
    Operation.REGISTER: frozenset({R.ADMIN, R.DISPATCHER}),
    Operation.LEND: frozenset({R.ADMIN, R.DISPATCHER, R.WAREHOUSE}),
    Operation.READ_REPORTS: frozenset({R.ADMIN, R.REPORTER, R.CUSTOMER}),
    Operation.READ_LOANS: _STAFF | {R.CUSTOMER},
}
assert set(ALLOWED) == set(Operation), "every operation has its roles"

CONTRACTOR: Final = "contractor"  # what a customer reads in place of our people's names


def allows(actor: Caller, operation: Operation) -> bool:
    """May this caller perform `operation`?"""
    return actor.role in ALLOWED[operation]


def authorize(actor: Caller, operation: Operation) -> Caller:
    """The caller, if it may perform `operation`; else `Forbidden`."""
    if not allows(actor, operation):
        raise Forbidden(f"role {actor.role.value!r} may not do this")
    return actor


def customer_of(actor: Caller) -> int | None:
    """The customer a caller is confined to (None: every customer)."""
    return actor.customer_id if actor.is_customer else None


def owns(actor: Caller, customer_id: int | None) -> bool:
    """May the caller see a thing of this customer? (Staff see every customer's.)"""
    return not actor.is_customer or customer_id == actor.customer_id


S = TypeVar("S")


def scope(stmt: S, actor: Caller, customer_column: Any) -> S:
    """`stmt` limited to the caller's customer (unchanged for staff)."""
    if not actor.is_customer:
        return stmt
    return stmt.where(customer_column == actor.customer_id)  # type: ignore[attr-defined, no-any-return]


def scope_ids(stmt: S, actor: Caller, column: Any, visible: set[int] | None) -> S:
    """`stmt` limited to `column` in `visible` (None: no limit; empty: nothing)."""
    if visible is None:
        return stmt
    condition: ColumnElement[bool] = column.in_(visible) if visible else false()
    return stmt.where(condition)  # type: ignore[attr-defined, no-any-return]


def redact(actor: Caller, fields: dict[str, Any]) -> dict[str, Any]:
    """A history or ledger row's fields as this caller may read them."""
    if not actor.is_customer:
        return fields
    return fields | {"actor": CONTRACTOR, "reference": None}
