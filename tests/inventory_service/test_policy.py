"""The one policy: its table of roles, the customer scope and the redaction, and the services
that apply them themselves (a surface that forgot a check would still be refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inventory_service import policy
from inventory_service.lifecycle import loans, repairs, reservations
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import Forbidden, NotFound
from inventory_service.policy import ALLOWED, Operation
from models import Role
from models.reservation import LoanCreate
from tests import factories


def caller(role: Role, customer_id: int | None = None) -> Caller:
    return Caller(token_id=1, name=f"a {role.value}", role=role, customer_id=customer_id)


def test_admin_may_do_everything_and_a_customer_only_read_and_its_reports() -> None:
    assert all(Role.ADMIN in roles for roles in ALLOWED.values())
    customer_may = {op for op in Operation if policy.allows(caller(Role.CUSTOMER, 1), op)}
    assert customer_may == {Operation.READ, Operation.READ_REPORTS, Operation.READ_LOANS}


def test_authorize_refuses_a_role_outside_the_table() -> None:
    with pytest.raises(Forbidden, match="role 'engineer' may not do this"):
        policy.authorize(caller(Role.ENGINEER), Operation.KEEP_STOCK)
    assert policy.authorize(caller(Role.WAREHOUSE), Operation.KEEP_STOCK).role is Role.WAREHOUSE


def test_redaction_hides_actors_and_references_from_customers_only() -> None:
    row = {"actor": "王工", "reference": "INC-1", "action": "created"}
    assert policy.redact(caller(Role.CUSTOMER, 1), row) == {
        "actor": "contractor",
        "reference": None,
        "action": "created",
    }
    assert policy.redact(caller(Role.DISPATCHER), row) == row


def test_a_customer_owns_only_its_own_customer() -> None:
    assert policy.owns(caller(Role.CUSTOMER, 1), 1)
    assert not policy.owns(caller(Role.CUSTOMER, 1), 2)
    assert policy.owns(caller(Role.REPORTER), 2)
    assert policy.customer_of(caller(Role.CUSTOMER, 1)) == 1
    assert policy.customer_of(caller(Role.ADMIN)) is None


STAFF_READS: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
    ("reservation", reservations.get, {"reservation_id": 1}),
    (
        "reservations",
        reservations.list_reservations,
        {"filters": reservations.ReservationFilter(), "limit": 10, "cursor": None},
    ),
    ("repair", repairs.get, {"repair_id": 1}),
    (
        "repairs",
        repairs.list_orders,
        {"filters": repairs.RepairFilter(), "limit": 10, "cursor": None},
    ),
]


@pytest.mark.parametrize(("name", "read", "kwargs"), STAFF_READS, ids=[r[0] for r in STAFF_READS])
def test_internal_reads_refuse_a_customer_in_the_service_itself(
    db: Database, name: str, read: Callable[..., Any], kwargs: dict[str, Any]
) -> None:
    with db.transaction() as session:
        with pytest.raises(Forbidden):
            read(session, actor=caller(Role.CUSTOMER, 1), **kwargs)
        try:
            read(session, actor=caller(Role.ENGINEER), **kwargs)
        except NotFound:
            pass  # allowed, and nothing by that id


def test_a_customer_reads_only_the_loans_to_its_own_sites_in_the_service_itself(
    db: Database,
) -> None:
    with db.transaction() as session:
        mine, theirs = factories.customer(session, "LNXX"), factories.customer(session, "LNGRID")
        factories.site(session, "SY-CORE")
        factories.site(session, "GRID-01", customer_code="LNGRID", lat=41.0, lon=123.0)
        failed = factories.device(session, "NE-1", site_code="GRID-01", status="faulty")
        standby = factories.device(session, "NE-SB", site_code="SY-CORE", status="standby")
        assert failed.id is not None
        assert standby.id is not None
        loan = loans.lend(
            session,
            actor=caller(Role.DISPATCHER),
            data=LoanCreate(
                standby_device_id=standby.id,
                site_code="GRID-01",
                replaces_device_id=failed.id,
                ticket="INC-1",
            ),
        )
        assert loan.id is not None
        owner, stranger = caller(Role.CUSTOMER, theirs.id), caller(Role.CUSTOMER, mine.id)
        assert loans.get(session, actor=owner, loan_id=loan.id).id == loan.id
        listed = loans.list_loans(
            session, actor=owner, filters=loans.LoanFilter(), limit=10, cursor=None
        )
        assert [x.id for x in listed.items] == [loan.id]
        with pytest.raises(NotFound):
            loans.get(session, actor=stranger, loan_id=loan.id)
        assert (
            loans.list_loans(
                session, actor=stranger, filters=loans.LoanFilter(), limit=10, cursor=None
            ).items
            == []
        )
