"""Standby loans ("同档次备机"): a standby device lent to a site in place of a failed one.

Rules that always hold here:
- Only a `standby` device is lent, and only in place of a device of the same vendor and model
  (409 otherwise) that is not retired; a device is on at most one open loan.
- The replaced device stands at the loan's site (422 `site_code` otherwise).
- Lending moves the standby to `on_loan` at the loan's site, and returning moves it back to
  `standby` at the site it came from (`home_site_id`), each through the register's state
  machine in one history row (status and site; reference: the loan). So while lent the
  standby is seen where it stands, by that site's customer too.
- A customer reads the loans to its own sites (others 404 / absent); it never writes.
- A loan is overdue when it is out past its `due_at`; overdue loans are listed on request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import Field
from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.assets import register
from inventory_service.platform.auth import Caller
from inventory_service.platform.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from inventory_service.platform.pagination import Page, paginate
from inventory_service.policy import Operation
from models import Device, DeviceStatus, Loan, LoanStatus, Site, bounds
from models.base import utcnow
from models.reservation import LoanCreate, LoanRead

ALLOWED: Final[dict[LoanStatus, frozenset[LoanStatus]]] = {
    LoanStatus.OUT: frozenset({LoanStatus.RETURNED}),
    LoanStatus.RETURNED: frozenset(),
}


def _device(session: Session, device_id: int, field: str) -> Device:
    device = session.exec(select(Device).where(Device.id == device_id).with_for_update()).first()
    if device is None:
        raise ValidationFailed.field(field, f"unknown device {device_id}")
    return device


def lend(session: Session, *, actor: Caller, data: LoanCreate) -> Loan:
    """Lend a standby device to a site in place of a failed device."""
    site = session.exec(select(Site).where(Site.code == data.site_code)).first()
    if site is None:
        raise ValidationFailed.field("site_code", f"unknown site {data.site_code!r}")
    if data.standby_device_id == data.replaces_device_id:
        raise ValidationFailed.field("replaces_device_id", "a device cannot stand in for itself")
    standby = _device(session, data.standby_device_id, "standby_device_id")
    replaced = _device(session, data.replaces_device_id, "replaces_device_id")
    if (standby.vendor, standby.model) != (replaced.vendor, replaced.model):
        raise Conflict(
            f"a standby {standby.vendor} {standby.model} may not replace a "
            f"{replaced.vendor} {replaced.model}: it must be of the same vendor and model",
            details=[{"field": "standby_device_id", "reason": "not the same vendor and model"}],
        )
    if replaced.site_id != site.id:
        raise ValidationFailed.field(
            "site_code", f"device {replaced.id} does not stand at {site.code}"
        )
    if replaced.status == DeviceStatus.RETIRED.value:
        raise Conflict(
            f"device {replaced.id} is retired",
            details=[{"field": "replaces_device_id", "reason": "retired"}],
        )
    if data.due_at is not None and data.due_at <= utcnow():
        raise ValidationFailed.field("due_at", "must lie in the future")
    assert site.id is not None
    assert standby.id is not None
    assert replaced.id is not None
    loan = Loan(
        standby_device_id=standby.id,
        replaces_device_id=replaced.id,
        site_id=site.id,
        home_site_id=standby.site_id,
        ticket=data.ticket,
        status=LoanStatus.OUT.value,
        due_at=data.due_at,
        actor=actor.actor,
    )
    session.add(loan)
    session.flush()
    register.transition(
        session,
        standby,
        DeviceStatus.ON_LOAN,
        actor=actor,
        action="lent",
        reference=f"loan:{loan.id} site:{site.code} replaces:{replaced.id} ticket:{data.ticket}",
        site=site,
    )
    return loan


def give_back(session: Session, *, actor: Caller, loan_id: int) -> Loan:
    """The standby comes back to the pool."""
    loan = session.exec(select(Loan).where(Loan.id == loan_id).with_for_update()).first()
    if loan is None:
        raise NotFound(f"loan {loan_id} not found")
    current = LoanStatus(loan.status)
    if LoanStatus.RETURNED not in ALLOWED[current]:
        raise InvalidTransition(
            f"loan {loan_id} is {current.value}; it cannot be returned again",
            details=[{"field": "status", "reason": f"current status is {current.value}"}],
        )
    standby = _device(session, loan.standby_device_id, "standby_device_id")
    register.transition(
        session,
        standby,
        DeviceStatus.STANDBY,
        actor=actor,
        action="loan_returned",
        reference=f"loan:{loan.id}",
        site=session.get(Site, loan.home_site_id),
    )
    loan.status = LoanStatus.RETURNED.value
    loan.returned_at = utcnow()
    session.add(loan)
    session.flush()
    return loan


def _overdue() -> ColumnElement[bool]:
    return and_(
        col(Loan.status) == LoanStatus.OUT.value,
        col(Loan.due_at).is_not(None),
        col(Loan.due_at) < utcnow(),
    )


def reads(session: Session, rows: list[Loan]) -> list[LoanRead]:
    """Loans as the API shows them."""
    sites = dict(
        session.exec(
            select(Site.id, Site.code).where(col(Site.id).in_({r.site_id for r in rows}))
        ).all()
    )
    now = utcnow()
    return [
        LoanRead.model_validate(
            r.model_dump()
            | {
                "site_code": sites[r.site_id],
                "overdue": r.status == LoanStatus.OUT.value
                and r.due_at is not None
                and r.due_at < now,
            }
        )
        for r in rows
    ]


def _scoped(stmt: Any, actor: Caller) -> Any:
    """The loans the caller may read: a customer's are those to its own sites."""
    policy.authorize(actor, Operation.READ_LOANS)
    if not actor.is_customer:
        return stmt
    own = policy.scope(select(Site.id), actor, col(Site.customer_id))
    return stmt.where(col(Loan.site_id).in_(own))


def get(session: Session, *, actor: Caller, loan_id: int) -> LoanRead:
    """One loan the caller may read (a customer: 404 unless to one of its sites)."""
    loan = session.exec(_scoped(select(Loan).where(Loan.id == loan_id), actor)).first()
    if loan is None:
        raise NotFound(f"loan {loan_id} not found")
    return reads(session, [loan])[0]


@dataclass(frozen=True, slots=True)
class LoanFilter:
    """The filters of the loan list (None: any)."""

    status: LoanStatus | None = None
    overdue: Annotated[
        bool | None, Field(description="true: only loans out past their due date.")
    ] = None
    site_code: bounds.CodeFilter = None


def list_loans(
    session: Session,
    *,
    actor: Caller,
    limit: int,
    cursor: str | None,
    filters: LoanFilter,
) -> Page[LoanRead]:
    """Loans the caller may see, by status, site, or only the overdue ones."""
    stmt = _scoped(select(Loan), actor)
    if filters.status is not None:
        stmt = stmt.where(Loan.status == filters.status.value)
    if filters.overdue:
        stmt = stmt.where(_overdue())
    if filters.site_code is not None:
        stmt = stmt.join(Site, col(Site.id) == col(Loan.site_id)).where(
            Site.code == filters.site_code
        )
    page = paginate(session, stmt, id_column=Loan.id, limit=limit, cursor=cursor)
    return Page(items=reads(session, page.items), next_cursor=page.next_cursor)
