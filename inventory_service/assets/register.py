"""The device register (设备档案): devices at customers' sites, their components, their history.

Rules that always hold here:
- Device serials are unique; a component serial is unique among installed components (a
  removed component's row leaves the register; its history stays). A clash is
  `DuplicateSerial` naming the field.
- Every change of a device — creation, a PATCH, a status change, a component installed,
  removed or swapped — writes exactly ONE append-only `DeviceHistory` row in the same
  transaction, holding only the changed fields before and after, the actor and an optional
  reference; and bumps `Device.version` (the ETag), so a stale `If-Match` is refused.
  A PATCH that changes nothing writes nothing.
- Device status changes follow `ALLOWED` through `transition`; `retired` is terminal.
- A `customer` caller sees only devices at its own customer's sites; others are NotFound.
  History shown to a customer names no actors or references (they name engineers, tickets).
- `patch_level_below=X` compares levels by `version_key` (natural order, see there); devices
  without a patch level are not "below" anything. Queries never write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Any, Final

from sqlalchemy import Integer, Select, bindparam, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from inventory_service.platform.auth import Caller
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import (
    Conflict,
    DuplicateSerial,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from inventory_service.platform.pagination import Page, check_limit, decode_cursor, encode_cursor
from models import Component, Customer, Device, DeviceHistory, DeviceStatus, Part, Site, bounds
from models.base import utcnow
from models.device import (
    ComponentRead,
    DeviceCreate,
    DeviceHistoryRead,
    DeviceRead,
    DeviceUpdate,
)

D = DeviceStatus
ALLOWED: Final[dict[DeviceStatus, frozenset[DeviceStatus]]] = {
    D.IN_SERVICE: frozenset({D.FAULTY, D.UNDER_REPAIR, D.STANDBY, D.RETIRED}),
    D.FAULTY: frozenset({D.UNDER_REPAIR, D.IN_SERVICE, D.RETIRED}),
    D.UNDER_REPAIR: frozenset({D.IN_SERVICE, D.STANDBY, D.FAULTY, D.RETIRED}),
    D.STANDBY: frozenset({D.ON_LOAN, D.IN_SERVICE, D.FAULTY, D.UNDER_REPAIR, D.RETIRED}),
    # A lent standby comes back to the pool, or fails where it stands; it is never retired
    # (nor put in service) while a loan is open.
    D.ON_LOAN: frozenset({D.STANDBY, D.FAULTY}),
    D.RETIRED: frozenset(),
}
LEVELS: Final = ("firmware_version", "patch_level", "microcode_level")
PATCHABLE: Final = ("hostname", *LEVELS, "config", "status")

# --- Version-aware comparison --------------------------------------------------------------

_TOKEN = re.compile(r"(\d+)|([^\W\d_]+)")


def version_key(level: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key comparing levels the way engineers read them (natural order).

    The text is cut into runs of digits and runs of letters; every other character (`.`,
    `-`, `_`, spaces) only separates runs. Runs compare one by one: numbers by value
    (`SPC600` > `SPC90`), letters case-insensitively, and a number before letters at the same
    place (`FW860.90` < `FW860.A0`); when one level is a prefix of the other, the shorter is
    lower (`7.3` < `7.3.2`). So `V800R021C10SPC600` < `V800R021C10SPC700` < `V800R022C00`.
    """
    return tuple(
        (0, int(digits), "") if digits else (1, 0, letters.casefold())
        for digits, letters in _TOKEN.findall(level)
    )


def is_below(level: str | None, bound: str) -> bool:
    """Is `level` strictly below `bound` in `version_key` order? A missing level is not."""
    return level is not None and version_key(level) < version_key(bound)


# --- Reads ----------------------------------------------------------------------------------

_DEVICE_COLUMNS: Final = (
    col(Device.id),
    col(Site.code),
    col(Customer.code),
    col(Device.vendor),
    col(Device.model),
    col(Device.hostname),
    col(Device.serial),
    col(Device.status),
    col(Device.firmware_version),
    col(Device.patch_level),
    col(Device.microcode_level),
    col(Device.config),
    col(Device.created_at),
    col(Device.updated_at),
    col(Device.version),
)
_READ_FIELDS: Final = (
    "id",
    "site_code",
    "customer_code",
    "vendor",
    "model",
    "hostname",
    "serial",
    "status",
    "firmware_version",
    "patch_level",
    "microcode_level",
    "config",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    serial: str | None = None
    site_code: str | None = None
    model: str | None = None
    status: DeviceStatus | None = None
    customer_code: str | None = None
    firmware_version: str | None = None
    patch_level: str | None = None
    vendor: str | None = None
    patch_level_below: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceView:
    """A device as read, with the version its ETag carries."""

    device: DeviceRead
    version: int


def _device_rows() -> Select[Any]:
    return (
        sa_select(*_DEVICE_COLUMNS)
        .join(Site, col(Site.id) == col(Device.site_id))
        .join(Customer, col(Customer.id) == col(Site.customer_id))
    )


def _scoped(stmt: Select[Any], actor: Caller) -> Select[Any]:
    if actor.is_customer:
        return stmt.where(col(Site.customer_id) == actor.customer_id)
    return stmt


def _filtered(stmt: Select[Any], f: DeviceFilter) -> Select[Any]:
    if f.serial is not None:
        # Either the device's serial or an installed component's: two unique-index probes.
        component_device = (
            sa_select(col(Component.device_id)).where(col(Component.serial) == f.serial)
        ).scalar_subquery()
        stmt = stmt.where(or_(col(Device.serial) == f.serial, col(Device.id) == component_device))
    if f.site_code is not None:
        stmt = stmt.where(col(Site.code) == f.site_code)
    if f.customer_code is not None:
        stmt = stmt.where(col(Customer.code) == f.customer_code)
    for column, value in (
        (Device.model, f.model),
        (Device.status, f.status.value if f.status else None),
        (Device.firmware_version, f.firmware_version),
        (Device.patch_level, f.patch_level),
        (Device.vendor, f.vendor),
    ):
        if value is not None:
            stmt = stmt.where(col(column) == value)
    if f.patch_level_below is not None:
        stmt = stmt.where(col(Device.patch_level).is_not(None))
    return stmt


def _components(session: Session, device_ids: Iterable[int]) -> dict[int, list[ComponentRead]]:
    ids = list(device_ids)
    found: dict[int, list[ComponentRead]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa_select(
            col(Component.device_id),
            col(Component.id),
            col(Component.slot),
            col(Part.part_number),
            col(Component.serial),
            col(Component.installed_at),
        )
        .join(Part, col(Part.id) == col(Component.part_id))
        .where(col(Component.device_id).in_(ids))
        .order_by(col(Component.device_id), col(Component.slot))
    ).all()
    for device_id, cid, slot, part_number, serial, installed_at in rows:
        found[device_id].append(
            ComponentRead(
                id=cid,
                slot=slot,
                part_number=part_number,
                serial=serial,
                installed_at=installed_at,
            )
        )
    return found


def _views(session: Session, rows: Sequence[Any]) -> list[DeviceView]:
    components = _components(session, (row[0] for row in rows))
    views = []
    for row in rows:
        fields = dict(zip(_READ_FIELDS, row, strict=False))
        fields["components"] = components[row[0]]
        views.append(DeviceView(device=DeviceRead.model_validate(fields), version=row[-1]))
    return views


def get_device(session: Session, *, actor: Caller, device_id: int) -> DeviceView:
    """One device with its components, if the caller may see it."""
    row = session.execute(_scoped(_device_rows().where(col(Device.id) == device_id), actor)).first()
    if row is None:
        raise NotFound(f"device {device_id} not found")
    return _views(session, [row])[0]


_SCAN_BATCH: Final = 1000  # rows read at a time when a filter is applied in Python
_OWNER: Final = aliased(Component)
# The hot path (PERFORMANCE.md: lookups by serial): one statement, built once, columns only;
# the device by its serial or by an installed component's (two unique-index probes), its
# components joined in, the customer scope as a parameter (NULL: every customer).
_BY_SERIAL: Final = (
    sa_select(
        *_DEVICE_COLUMNS,
        col(Component.id),
        col(Component.slot),
        col(Part.part_number),
        col(Component.serial),
        col(Component.installed_at),
    )
    .join(Site, col(Site.id) == col(Device.site_id))
    .join(Customer, col(Customer.id) == col(Site.customer_id))
    .outerjoin(Component, col(Component.device_id) == col(Device.id))
    .outerjoin(Part, col(Part.id) == col(Component.part_id))
    .where(
        or_(
            col(Device.serial) == bindparam("serial"),
            col(Device.id)
            == sa_select(col(_OWNER.device_id))
            .where(col(_OWNER.serial) == bindparam("serial"))
            .scalar_subquery(),
        ),
        or_(
            bindparam("customer_id", type_=Integer).is_(None),
            col(Site.customer_id) == bindparam("customer_id", type_=Integer),
        ),
    )
    .order_by(col(Device.id), col(Component.slot))
)
_SERIAL_ONLY: Final = DeviceFilter()


def find_by_serial(session: Session, *, actor: Caller, serial: str) -> list[DeviceView]:
    """The devices (at most two) the caller may see with this serial or a component's."""
    rows = session.connection().execute(
        _BY_SERIAL, {"serial": serial, "customer_id": actor.customer_id}
    )
    width = len(_DEVICE_COLUMNS)
    views: list[DeviceView] = []
    for _, group in groupby(rows, key=lambda r: r[0]):
        first = next(group)
        fields = dict(zip(_READ_FIELDS, first, strict=False))
        fields["components"] = [
            ComponentRead.model_construct(
                id=r[width],
                slot=r[width + 1],
                part_number=r[width + 2],
                serial=r[width + 3],
                installed_at=r[width + 4],
            )
            for r in (first, *group)
            if r[width] is not None
        ]
        views.append(DeviceView(DeviceRead.model_validate(fields), first[width - 1]))
    return views


def list_devices(
    session: Session, *, actor: Caller, filters: DeviceFilter, limit: int, cursor: str | None
) -> Page[DeviceView]:
    """Devices the caller may see, filtered, by id."""
    check_limit(limit)
    after = decode_cursor(cursor)
    if filters.serial is not None and replace(filters, serial=None) == _SERIAL_ONLY:
        # At most two devices match a serial: one page, no cursor.
        found = (
            [] if after is not None else find_by_serial(session, actor=actor, serial=filters.serial)
        )
        return Page(items=found[:limit], next_cursor=None)
    stmt = _filtered(_scoped(_device_rows(), actor), filters)
    bound = filters.patch_level_below
    if bound is None:
        if after is not None:
            stmt = stmt.where(col(Device.id) > after)
        rows = list(session.execute(stmt.order_by(col(Device.id)).limit(limit + 1)).all())
    else:
        # Version order is not SQL order: read in id order and keep the rows below the bound.
        rows = []
        while len(rows) <= limit:
            batch_stmt = stmt if after is None else stmt.where(col(Device.id) > after)
            batch = session.execute(batch_stmt.order_by(col(Device.id)).limit(_SCAN_BATCH)).all()
            rows += [r for r in batch if is_below(r[9], bound)]
            if len(batch) < _SCAN_BATCH:
                break
            after = batch[-1][0]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=_views(session, rows),
        next_cursor=encode_cursor(rows[-1][0]) if more and rows else None,
    )


def history(
    session: Session, *, actor: Caller, device_id: int, limit: int, cursor: str | None
) -> Page[DeviceHistoryRead]:
    """A device's history, oldest first (a customer sees no actors or references)."""
    get_device(session, actor=actor, device_id=device_id)
    check_limit(limit)
    stmt = select(DeviceHistory).where(DeviceHistory.device_id == device_id)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(col(DeviceHistory.id) > after)
    rows = list(session.exec(stmt.order_by(col(DeviceHistory.id)).limit(limit + 1)).all())
    more = len(rows) > limit
    hidden = {"actor": "contractor", "reference": None} if actor.is_customer else {}
    items = [DeviceHistoryRead.model_validate(h.model_dump() | hidden) for h in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more and items else None)


# --- Writes ---------------------------------------------------------------------------------


def lock_device(session: Session, *, device_id: int) -> Device:
    """The device, locked for update until the transaction ends."""
    device = session.exec(select(Device).where(Device.id == device_id).with_for_update()).first()
    if device is None:
        raise NotFound(f"device {device_id} not found")
    return device


def _record(
    session: Session,
    device: Device,
    *,
    actor: Caller,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reference: str | None,
    bump: bool = True,
) -> DeviceHistory:
    """Write the change's one history row (and bump the device's version)."""
    assert device.id is not None
    if bump:
        device.version += 1
        device.updated_at = utcnow()
        session.add(device)
    row = DeviceHistory(
        device_id=device.id,
        action=action,
        before=before,
        after=after,
        actor=actor.actor,
        reference=bounds.fit(reference),
    )
    session.add(row)
    session.flush()
    return row


def snapshot(device: Device, components: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """The fields of a new device as its first history row records them."""
    return {
        "site_id": device.site_id,
        "vendor": device.vendor,
        "model": device.model,
        "hostname": device.hostname,
        "serial": device.serial,
        "status": device.status,
        "firmware_version": device.firmware_version,
        "patch_level": device.patch_level,
        "microcode_level": device.microcode_level,
        "config": device.config,
        "components": [
            {"slot": slot, "part_number": pn, "serial": serial} for slot, pn, serial in components
        ],
    }


def _device_duplicate(serial: str) -> DuplicateSerial:
    return DuplicateSerial(
        f"a device with serial {serial!r} is registered already",
        details=[{"field": "serial", "reason": "already registered"}],
    )


def _component_duplicate(field: str, serial: str) -> DuplicateSerial:
    return DuplicateSerial(
        f"a component with serial {serial!r} is installed already",
        details=[{"field": field, "reason": "already installed in a device"}],
    )


def _part_ids(session: Session, numbers: Iterable[str]) -> dict[str, int]:
    wanted = set(numbers)
    if not wanted:
        return {}
    rows = session.execute(
        sa_select(col(Part.part_number), col(Part.id)).where(col(Part.part_number).in_(wanted))
    ).all()
    return dict(rows)


def create_device(
    session: Session, *, actor: Caller, data: DeviceCreate, reference: str | None = None
) -> Device:
    """Register a device at a site, with the components installed in it."""
    site_id = session.execute(
        sa_select(col(Site.id)).where(col(Site.code) == data.site_code)
    ).scalar()
    problems: list[dict[str, str]] = []
    if site_id is None:
        problems.append({"field": "site_code", "reason": f"unknown site {data.site_code!r}"})
    parts = _part_ids(session, (c.part_number for c in data.components))
    slots: set[str] = set()
    serials: set[str] = set()
    for n, component in enumerate(data.components):
        if component.part_number not in parts:
            problems.append(
                {
                    "field": f"components.{n}.part_number",
                    "reason": f"unknown part {component.part_number!r}",
                }
            )
        if component.slot in slots:
            problems.append({"field": f"components.{n}.slot", "reason": "slot given twice"})
        if component.serial in serials:
            problems.append({"field": f"components.{n}.serial", "reason": "serial given twice"})
        slots.add(component.slot)
        serials.add(component.serial)
    if problems:
        raise ValidationFailed("invalid device", details=problems)
    assert site_id is not None
    if session.execute(sa_select(col(Device.id)).where(col(Device.serial) == data.serial)).first():
        raise _device_duplicate(data.serial)
    if serials:
        taken = set(
            session.execute(
                sa_select(col(Component.serial)).where(col(Component.serial).in_(serials))
            ).scalars()
        )
        for n, component in enumerate(data.components):
            if component.serial in taken:
                raise _component_duplicate(f"components.{n}.serial", component.serial)
    device = Device(
        site_id=site_id,
        vendor=data.vendor,
        model=data.model,
        hostname=data.hostname,
        serial=data.serial,
        status=data.status.value,
        firmware_version=data.firmware_version,
        patch_level=data.patch_level,
        microcode_level=data.microcode_level,
        config=dict(data.config),
    )
    session.add(device)
    flush_or_conflict(session, _device_duplicate(data.serial))
    assert device.id is not None
    for component in data.components:
        session.add(
            Component(
                device_id=device.id,
                slot=component.slot,
                part_id=parts[component.part_number],
                serial=component.serial,
            )
        )
    flush_or_conflict(
        session,
        DuplicateSerial(
            "a component serial was installed elsewhere meanwhile",
            details=[{"field": "components", "reason": "a serial is already installed"}],
        ),
    )
    installed = [(c.slot, c.part_number, c.serial) for c in data.components]
    _record(
        session,
        device,
        actor=actor,
        action="created",
        before=None,
        after=snapshot(device, installed),
        reference=reference,
        bump=False,
    )
    return device


def _illegal(device: Device, current: DeviceStatus, to: DeviceStatus) -> InvalidTransition:
    return InvalidTransition(
        f"device {device.id} is {current.value}; it cannot become {to.value}",
        details=[{"field": "status", "reason": f"current status is {current.value}"}],
    )


def transition(
    session: Session,
    device: Device,
    to: DeviceStatus,
    *,
    actor: Caller,
    reference: str | None = None,
    action: str = "status_changed",
) -> DeviceHistory:
    """Move a (locked) device to status `to` per `ALLOWED`, writing its history row."""
    current = DeviceStatus(device.status)
    if to not in ALLOWED[current]:
        raise _illegal(device, current, to)
    device.status = to.value
    return _record(
        session,
        device,
        actor=actor,
        action=action,
        before={"status": current.value},
        after={"status": to.value},
        reference=reference,
    )


def check_version(device: Device, expected: int | None) -> None:
    """Refuse a write made against an older version of the device (stale `If-Match`)."""
    if expected is not None and expected != device.version:
        raise PreconditionFailed(
            f"device {device.id} has changed since version {expected} "
            f"(now {device.version}); read it again",
            details=[{"field": "If-Match", "reason": f"current version is {device.version}"}],
        )


def patch_device(
    session: Session,
    *,
    actor: Caller,
    device_id: int,
    data: DeviceUpdate,
    expected_version: int | None = None,
) -> Device:
    """Change a device's levels, config, hostname or status: one history row for the change."""
    device = lock_device(session, device_id=device_id)
    check_version(device, expected_version)
    given = data.model_dump(exclude_unset=True, exclude={"reference"})
    if "status" in given:
        given["status"] = DeviceStatus(given["status"]).value
    changed = {f: v for f, v in given.items() if getattr(device, f) != v}
    if not changed:
        return device
    if "status" in changed:
        current, to = DeviceStatus(device.status), DeviceStatus(changed["status"])
        if to not in ALLOWED[current]:
            raise _illegal(device, current, to)
    if set(changed) == {"status"}:
        transition(
            session, device, DeviceStatus(changed["status"]), actor=actor, reference=data.reference
        )
        return device
    before = {f: getattr(device, f) for f in changed}
    for field, value in changed.items():
        setattr(device, field, value)
    _record(
        session,
        device,
        actor=actor,
        action="updated",
        before=before,
        after=changed,
        reference=data.reference,
    )
    return device


def _component_in(session: Session, device_id: int, slot: str) -> Component | None:
    return session.exec(
        select(Component).where(Component.device_id == device_id, Component.slot == slot)
    ).first()


def _writable(device: Device) -> None:
    if device.status == D.RETIRED.value:
        raise InvalidTransition(
            f"device {device.id} is retired; its components no longer change",
            details=[{"field": "status", "reason": "current status is retired"}],
        )


def _new_component(
    session: Session, device: Device, *, slot: str, part_number: str, serial: str
) -> Component:
    part_id = _part_ids(session, [part_number]).get(part_number)
    if part_id is None:
        raise ValidationFailed.field("part_number", f"unknown part {part_number!r}")
    taken = session.execute(
        sa_select(col(Component.device_id)).where(col(Component.serial) == serial)
    ).first()
    if taken is not None:
        raise _component_duplicate("serial", serial)
    assert device.id is not None
    component = Component(device_id=device.id, slot=slot, part_id=part_id, serial=serial)
    session.add(component)
    flush_or_conflict(session, _component_duplicate("serial", serial))
    return component


def _part_number(session: Session, part_id: int) -> str:
    number: str = session.execute(
        sa_select(col(Part.part_number)).where(col(Part.id) == part_id)
    ).scalar_one()
    return number


def install_component(
    session: Session,
    *,
    actor: Caller,
    device_id: int,
    slot: str,
    part_number: str,
    serial: str,
    reference: str | None = None,
) -> Component:
    """Install a part in an empty slot of a device."""
    device = lock_device(session, device_id=device_id)
    _writable(device)
    if _component_in(session, device_id, slot) is not None:
        raise Conflict(
            f"slot {slot!r} of device {device_id} is occupied; swap or remove its part",
            details=[{"field": "slot", "reason": "occupied"}],
        )
    component = _new_component(session, device, slot=slot, part_number=part_number, serial=serial)
    _record(
        session,
        device,
        actor=actor,
        action="component_installed",
        before=None,
        after={"slot": slot, "part_number": part_number, "serial": serial},
        reference=reference,
    )
    return component


def _installed(session: Session, device_id: int, slot: str) -> Component:
    component = _component_in(session, device_id, slot)
    if component is None:
        raise NotFound(f"device {device_id} has no component in slot {slot!r}")
    return component


def _take_out(session: Session, *, device_id: int, slot: str) -> tuple[Device, tuple[str, str]]:
    """Lock a writable device and take the component out of `slot` (no history row yet)."""
    device = lock_device(session, device_id=device_id)
    _writable(device)
    component = _installed(session, device_id, slot)
    removed = (_part_number(session, component.part_id), component.serial)
    session.delete(component)
    session.flush()
    return device, removed


def remove_component(
    session: Session,
    *,
    actor: Caller,
    device_id: int,
    slot: str,
    reference: str | None = None,
) -> tuple[str, str]:
    """Take the part out of a slot; returns its (part_number, serial)."""
    device, removed = _take_out(session, device_id=device_id, slot=slot)
    _record(
        session,
        device,
        actor=actor,
        action="component_removed",
        before={"slot": slot, "part_number": removed[0], "serial": removed[1]},
        after=None,
        reference=reference,
    )
    return removed


def swap_component(
    session: Session,
    *,
    actor: Caller,
    device_id: int,
    slot: str,
    part_number: str,
    serial: str,
    reference: str | None = None,
) -> tuple[str, str]:
    """Replace the part in a slot by another; returns the removed part's (part_number, serial)."""
    device, removed = _take_out(session, device_id=device_id, slot=slot)
    _new_component(session, device, slot=slot, part_number=part_number, serial=serial)
    _record(
        session,
        device,
        actor=actor,
        action="component_swapped",
        before={"slot": slot, "part_number": removed[0], "serial": removed[1]},
        after={"slot": slot, "part_number": part_number, "serial": serial},
        reference=reference,
    )
    return removed
