"""The register's rules at the service layer: version order, the status machine, one history
row per change, and the component functions the lifecycle calls."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from inventory_service.assets import register, versions
from inventory_service.platform.db import Database
from inventory_service.platform.errors import DuplicateSerial, InvalidTransition, NotFound
from models import DeviceHistory, DeviceStatus
from models.device import DeviceUpdate
from tests import factories

ACTOR = factories.ACTOR


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("V800R021C10SPC90", "V800R021C10SPC600"),
        ("V800R021C10SPC600", "V800R021C10SPC700"),
        ("V800R021C10SPC700", "V800R022C00"),
        ("7.3", "7.3.2"),
        ("7.3.2", "7.10.0"),
        ("FW860.90", "FW860.A0"),
        ("fw860.a0", "FW860.B0"),
        ("9.3(8)", "9.3(10)"),
    ],
)
def test_version_key_reads_levels_as_engineers_do(lower: str, higher: str) -> None:
    assert versions.version_key(lower) < versions.version_key(higher)
    assert versions.is_below(lower, higher)
    assert not versions.is_below(higher, lower)
    assert not versions.is_below(None, higher)


dotted = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=5)


@given(dotted, dotted)
def test_dotted_versions_compare_like_their_number_tuples(a: list[int], b: list[int]) -> None:
    key_a = versions.version_key(".".join(map(str, a)))
    key_b = versions.version_key(".".join(map(str, b)))
    assert (key_a < key_b) == (a < b)
    assert (key_a == key_b) == (a == b)


levels = st.text(alphabet="VRCSPvrc0123456789.-_ ", max_size=20)


@given(levels, levels, levels)
def test_version_order_is_a_total_preorder(a: str, b: str, c: str) -> None:
    ka, kb, kc = (versions.version_key(x) for x in (a, b, c))
    assert (ka <= kb) or (kb <= ka)
    if ka <= kb and kb <= kc:
        assert ka <= kc


@pytest.fixture
def site_db(db: Database) -> Database:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01")
        factories.part(session, "PAC-2200WF", category="router_psu", vendor="Huawei")
    return db


def history_of(session: Session, device_id: int) -> list[DeviceHistory]:
    return list(
        session.exec(
            select(DeviceHistory)
            .where(DeviceHistory.device_id == device_id)
            .order_by(col(DeviceHistory.id))
        ).all()
    )


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(st.sampled_from(list(DeviceStatus)), max_size=8))
def test_status_changes_follow_allowed_and_each_writes_one_row(
    site_db: Database, path: list[DeviceStatus]
) -> None:
    with site_db.session(write=True) as session, session.begin_nested() as savepoint:
        device = factories.device(session, "HYP-1")
        assert device.id is not None
        status = DeviceStatus.IN_SERVICE
        rows = 1
        for to in path:
            data = DeviceUpdate(status=to)
            if to is status:
                register.patch_device(session, actor=ACTOR, device_id=device.id, data=data)
            elif to in register.ALLOWED[status]:
                register.patch_device(session, actor=ACTOR, device_id=device.id, data=data)
                status, rows = to, rows + 1
            else:
                with pytest.raises(InvalidTransition, match=status.value):
                    register.patch_device(session, actor=ACTOR, device_id=device.id, data=data)
            assert len(history_of(session, device.id)) == rows
            assert device.version == rows
        assert device.status == status.value
        savepoint.rollback()


def test_retired_is_terminal() -> None:
    assert register.ALLOWED[DeviceStatus.RETIRED] == frozenset()
    assert all(
        DeviceStatus.RETIRED in register.ALLOWED[s]
        for s in register.ALLOWED
        if s not in (DeviceStatus.RETIRED, DeviceStatus.ON_LOAN)
    )


def test_swap_returns_the_removed_part_and_frees_its_serial(site_db: Database) -> None:
    with site_db.transaction() as session:
        device = factories.device(session, "D-1", components=[("PSU1", "PAC-2200WF", "OLD")])
        assert device.id is not None
        removed = register.swap_component(
            session,
            actor=ACTOR,
            device_id=device.id,
            slot="PSU1",
            part_number="PAC-2200WF",
            serial="NEW",
            reference="RPL-9",
        )
        assert removed == ("PAC-2200WF", "OLD")
        # The removed serial may be installed elsewhere now; the new one may not.
        other = factories.device(session, "D-2", components=[("PSU1", "PAC-2200WF", "OLD")])
        with pytest.raises(DuplicateSerial):
            factories.device(session, "D-3", components=[("PSU1", "PAC-2200WF", "NEW")])
        assert other.id is not None
        with pytest.raises(NotFound):
            register.remove_component(session, actor=ACTOR, device_id=device.id, slot="PSU9")
        last = history_of(session, device.id)[-1]
        assert (last.action, last.reference) == ("component_swapped", "RPL-9")
        assert last.before == {"slot": "PSU1", "part_number": "PAC-2200WF", "serial": "OLD"}


def test_a_retired_device_keeps_its_components(site_db: Database) -> None:
    with site_db.transaction() as session:
        device = factories.device(
            session, "D-1", status="retired", components=[("PSU1", "PAC-2200WF", "S1")]
        )
        assert device.id is not None
        with pytest.raises(InvalidTransition, match="retired"):
            register.remove_component(session, actor=ACTOR, device_id=device.id, slot="PSU1")


@pytest.mark.parametrize(
    "statement", ["UPDATE device_history SET actor = 'x'", "DELETE FROM device_history"]
)
def test_postgresql_refuses_to_change_device_history(
    site_db: Database, backend: str, statement: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite relies on the code)")
    with site_db.transaction() as session:
        factories.device(session, "D-1")
    with pytest.raises(DBAPIError, match="append-only"), site_db.transaction() as session:
        session.exec(text(statement))  # type: ignore[call-overload]
    with site_db.transaction(write=False) as session:
        assert [h.actor for h in session.exec(select(DeviceHistory)).all()] == ["factory"]
