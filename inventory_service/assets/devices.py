"""Reading the device register: one device, lists with filters, lookups by serial, history.

Rules that always hold here:
- A `customer` caller sees only devices at its own customer's sites; others are NotFound.
  History shown to a customer names no actors or references (they name engineers, tickets).
- `patch_level_below=X` compares levels by `versions.version_key` (natural order); devices
  without a patch level are not "below" anything. Queries never write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Annotated, Any, Final

from pydantic import Field
from sqlalchemy import BindParameter, Integer, Select, bindparam, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from inventory_service import policy
from inventory_service.assets.versions import is_below
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import NotFound
from inventory_service.platform.pagination import (
    Page,
    check_limit,
    decode_cursor,
    keyset,
    paginate,
)
from models import Component, Customer, Device, DeviceHistory, DeviceStatus, Part, Site, bounds
from models.device import ComponentRead, DeviceHistoryRead, DeviceRead

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
    """The filters of the device list (None: any)."""

    serial: Annotated[
        str | None,
        Field(
            max_length=bounds.SHORT, description="The device's serial or an installed component's."
        ),
    ] = None
    site_code: bounds.CodeFilter = None
    model: bounds.ShortFilter = None
    status: DeviceStatus | None = None
    customer_code: bounds.CodeFilter = None
    firmware_version: bounds.ShortFilter = None
    patch_level: bounds.ShortFilter = None
    vendor: bounds.ShortFilter = None
    patch_level_below: Annotated[
        str | None,
        Field(
            max_length=bounds.SHORT,
            description=(
                "Devices whose patch level is below this one in natural version order: runs of "
                "digits compare as numbers, letters case-insensitively, a number sorts before "
                "letters, a prefix before its extensions (V800R021C10SPC90 < V800R021C10SPC600 "
                "< V800R022C00; 7.3 < 7.3.2). Devices without a patch level are not listed."
            ),
        ),
    ] = None


@dataclass(frozen=True, slots=True)
class DeviceView:
    """A device as read, with the version its ETag carries."""

    device: DeviceRead
    version: int


# Each field of `DeviceRead` but its components, and the column it is read from.
DEVICE_COLUMNS: Final[dict[str, Any]] = dict(zip(_READ_FIELDS, _DEVICE_COLUMNS, strict=False))
# Each field of `ComponentRead` and the column it is read from (`component_rows`).
COMPONENT_COLUMNS: Final[dict[str, Any]] = {
    "id": col(Component.id),
    "slot": col(Component.slot),
    "part_number": col(Part.part_number),
    "serial": col(Component.serial),
    "installed_at": col(Component.installed_at),
}


def device_rows(*columns: Any) -> Select[Any]:
    """The columns a device is read from (all of `DeviceRead`'s and the version unless
    `columns` are named), joined to its site and customer."""
    return (
        sa_select(*(columns or _DEVICE_COLUMNS))
        .join(Site, col(Site.id) == col(Device.site_id))
        .join(Customer, col(Customer.id) == col(Site.customer_id))
    )


def scoped(stmt: Select[Any], actor: Caller) -> Select[Any]:
    """`stmt` limited to the devices the caller may see."""
    return policy.scope(stmt, actor, col(Site.customer_id))


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


def component_rows(
    session: Session, device_ids: Collection[int], columns: Sequence[Any]
) -> Sequence[Any]:
    """Rows (device id, *columns) of the components of these devices, by device, then slot."""
    if not device_ids:
        return []
    return session.execute(
        sa_select(col(Component.device_id), *columns)
        .join(Part, col(Part.id) == col(Component.part_id))
        .where(col(Component.device_id).in_(device_ids))
        .order_by(col(Component.device_id), col(Component.slot))
    ).all()


def _components(session: Session, device_ids: Iterable[int]) -> dict[int, list[ComponentRead]]:
    ids = list(device_ids)
    found: dict[int, list[ComponentRead]] = {i: [] for i in ids}
    names = list(COMPONENT_COLUMNS)
    for row in component_rows(session, ids, list(COMPONENT_COLUMNS.values())):
        found[row[0]].append(ComponentRead(**dict(zip(names, row[1:], strict=True))))
    return found


def views(session: Session, rows: Sequence[Any]) -> list[DeviceView]:
    """Rows of `device_rows()` as devices with their components."""
    components = _components(session, (row[0] for row in rows))
    views = []
    for row in rows:
        fields = dict(zip(_READ_FIELDS, row, strict=False))
        fields["components"] = components[row[0]]
        views.append(DeviceView(device=DeviceRead.model_validate(fields), version=row[-1]))
    return views


def get(session: Session, *, actor: Caller, device_id: int) -> DeviceView:
    """One device with its components, if the caller may see it."""
    row = session.execute(scoped(device_rows().where(col(Device.id) == device_id), actor)).first()
    if row is None:
        raise NotFound(f"device {device_id} not found")
    return views(session, [row])[0]


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


def _serial_lookup(actor: Caller, serial: str) -> tuple[Select[Any], dict[str, Any]]:
    """The one statement of a lookup by serial and its parameters (the caller's scope)."""
    return _BY_SERIAL, {"serial": serial, "customer_id": policy.customer_of(actor)}


def _serial_views(rows: Iterable[Sequence[Any]]) -> list[DeviceView]:
    """The rows of `_serial_lookup`'s statement as devices with their components."""
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


def find_by_serial(session: Session, *, actor: Caller, serial: str) -> list[DeviceView]:
    """The devices (at most two) the caller may see with this serial or a component's."""
    stmt, params = _serial_lookup(actor, serial)
    return _serial_views(session.connection().execute(stmt, params))


async def find_by_serial_async(db: Database, *, actor: Caller, serial: str) -> list[DeviceView]:
    """`find_by_serial` on the event loop, through the async driver (`Database.read_async`):
    the same statement, scope and answer, without a thread-pool hop."""
    stmt, params = _serial_lookup(actor, serial)
    return _serial_views(await db.read_async(stmt, params))


def is_serial_lookup(filters: DeviceFilter, cursor: str | None) -> bool:
    """Is this list a lookup by serial alone (at most two devices, one page, no cursor)?"""
    return (
        filters.serial is not None
        and cursor is None
        and replace(filters, serial=None) == _SERIAL_ONLY
    )


def list_(
    session: Session, *, actor: Caller, filters: DeviceFilter, limit: int, cursor: str | None
) -> Page[DeviceView]:
    """Devices the caller may see, filtered, by id."""
    check_limit(limit)
    after = decode_cursor(cursor)
    if filters.serial is not None and is_serial_lookup(filters, None):
        # At most two devices match a serial: one page, no cursor.
        found = (
            [] if after is not None else find_by_serial(session, actor=actor, serial=filters.serial)
        )
        return Page(items=found[:limit], next_cursor=None)
    bound = filters.patch_level_below
    return paginate(
        session,
        _filtered(scoped(device_rows(), actor), filters),
        id_column=col(Device.id),
        limit=limit,
        cursor=cursor,
        to_items=lambda rows: views(session, rows),
        id_of=lambda view: view.device.id,
        # Version order is not SQL order: the rows below the bound are kept in Python.
        keep=None if bound is None else (lambda row: is_below(row[9], bound)),
        row_id=lambda row: row[0],
    )


def page_statement(
    *,
    actor: Caller,
    filters: DeviceFilter,
    after: int | BindParameter[int] | None,
    limit: int,
    columns: Sequence[Any],
) -> Select[Any]:
    """`list_`'s page (without a serial or `patch_level_below` filter) as one statement over
    `columns`, `Device.id` first: the same scope, filters and keyset (`pagination.keyset`)."""
    stmt = _filtered(scoped(device_rows(*columns), actor), filters)
    return keyset(stmt, col(Device.id), after, limit)


def history(
    session: Session, *, actor: Caller, device_id: int, limit: int, cursor: str | None
) -> Page[DeviceHistoryRead]:
    """A device's history, oldest first (a customer sees no actors or references)."""
    get(session, actor=actor, device_id=device_id)
    return paginate(
        session,
        select(DeviceHistory).where(DeviceHistory.device_id == device_id),
        id_column=col(DeviceHistory.id),
        limit=limit,
        cursor=cursor,
        to_item=lambda h: DeviceHistoryRead.model_validate(policy.redact(actor, h.model_dump())),
    )
