"""The device register (设备档案): devices at customers' sites, changes to devices and components.

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
- Reading the register (scope, filters, history) is `devices`; this module only writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from sqlalchemy import select as sa_select
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
from models import Component, Device, DeviceHistory, DeviceStatus, Part, Site, bounds
from models.base import utcnow
from models.device import (
    DeviceCreate,
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


def _check_new_device(session: Session, data: DeviceCreate) -> tuple[int, dict[str, int]]:
    """The site's id and the components' part ids; every invalid field at once (422)."""
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
    return site_id, parts


def _check_serials_free(session: Session, data: DeviceCreate) -> None:
    """The device's serial and its components' serials are not registered yet (409)."""
    if session.execute(sa_select(col(Device.id)).where(col(Device.serial) == data.serial)).first():
        raise _device_duplicate(data.serial)
    serials = {c.serial for c in data.components}
    if not serials:
        return
    taken = set(
        session.execute(
            sa_select(col(Component.serial)).where(col(Component.serial).in_(serials))
        ).scalars()
    )
    for n, component in enumerate(data.components):
        if component.serial in taken:
            raise _component_duplicate(f"components.{n}.serial", component.serial)


def _add_components(
    session: Session, device_id: int, data: DeviceCreate, parts: dict[str, int]
) -> None:
    for component in data.components:
        session.add(
            Component(
                device_id=device_id,
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


def create_device(
    session: Session, *, actor: Caller, data: DeviceCreate, reference: str | None = None
) -> Device:
    """Register a device at a site, with the components installed in it."""
    site_id, parts = _check_new_device(session, data)
    _check_serials_free(session, data)
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
    _add_components(session, device.id, data, parts)
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
    site: Site | None = None,
) -> DeviceHistory:
    """Move a (locked) device to status `to` per `ALLOWED` (and to `site`, when given),
    writing its one history row."""
    current = DeviceStatus(device.status)
    if to not in ALLOWED[current]:
        raise _illegal(device, current, to)
    before: dict[str, Any] = {"status": current.value}
    after: dict[str, Any] = {"status": to.value}
    if site is not None and site.id != device.site_id:
        old = session.get(Site, device.site_id)
        assert old is not None
        assert site.id is not None
        before["site_code"], after["site_code"] = old.code, site.code
        device.site_id = site.id
    device.status = to.value
    return _record(
        session, device, actor=actor, action=action, before=before, after=after, reference=reference
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
