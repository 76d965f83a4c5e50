"""The device register (设备档案): devices, their components, history and bulk import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from api.deps import FieldRole, Reader, Registrar, SessionDep, model_json, read_json
from api.filters import query_filters
from api.idempotency import IdempotencyDep, _body
from api.routing import Router
from api.schemas import Cursor, Limit, PageOf, PathId, SlotPath
from inventory_service.assets import device_import, devices, register
from inventory_service.platform.auth import Caller
from inventory_service.platform.db import Database
from inventory_service.platform.errors import PreconditionFailed, ValidationFailed
from inventory_service.platform.pagination import DEFAULT_LIMIT
from models import bounds
from models.base import Reference as ReferenceText
from models.device import (
    ComponentInstall,
    ComponentSwap,
    DeviceCreate,
    DeviceHistoryRead,
    DeviceRead,
    DeviceUpdate,
    ImportResult,
)

router = Router(prefix="/devices", tags=["devices"])

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        json_schema_extra={"pattern": r'^(\*|(W/)?"[0-9]{1,9}")$'},
        description="The `ETag` of a GET: the write is refused (412) if the device changed since.",
    ),
]
Reference = Annotated[
    ReferenceText | None,
    Query(description="Ticket or change number written into the history row."),
]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The device version an `If-Match` header names (None: no precondition)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit() and int(tag) <= bounds.MAX_ID):
        raise PreconditionFailed(
            "If-Match does not name a version of this device",
            details=[{"field": "If-Match", "reason": "not an ETag this service issued"}],
        )
    return int(tag)


def _answer(session: SessionDep, actor: Caller, device_id: int, response: Response) -> DeviceRead:
    view = devices.get(session, actor=actor, device_id=device_id)
    response.headers["ETag"] = etag(view.version)
    return view.device


@router.post("", status_code=201, response_model=DeviceRead)
def create_device(
    data: DeviceCreate, session: SessionDep, actor: Registrar, idem: IdempotencyDep
) -> object:
    """Register a device with its components (admin, dispatcher); 409 on a known serial."""
    device = register.create_device(session, actor=actor, data=data)
    assert device.id is not None
    view = devices.get(session, actor=actor, device_id=device.id)
    return idem.respond(session, 201, view.device)


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes


async def uploaded_file(request: Request, body: Annotated[bytes, Depends(_body)]) -> Upload:
    """The multipart field `file`, parsed from the body the idempotency check has read."""
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValidationFailed.field("file", "send the file as multipart/form-data field `file`")
    return Upload(filename=file.filename or "upload.csv", content=await file.read())


UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A .csv (UTF-8) or .xlsx file, one device a row.",
                        }
                    },
                }
            }
        },
    }
}


@router.post("/import", status_code=201, response_model=ImportResult, openapi_extra=UPLOAD_SCHEMA)
def import_devices(
    actor: Registrar,  # first: a role that may not import is refused before the file is read
    upload: Annotated[Upload, Depends(uploaded_file)],
    session: SessionDep,
    idem: IdempotencyDep,
) -> object:
    """Import a CSV or XLSX file of devices, all or nothing (format: see the README).

    Columns: site_code, vendor, model, hostname, serial (required); status, firmware_version,
    patch_level, microcode_level, config (a JSON object), components
    (`slot=part_number:serial;...`). Every bad row is reported in `details` with its `row`
    (the header is row 1), `column` and `reason`; then nothing is written.
    """
    count = device_import.import_devices(
        session, actor=actor, content=upload.content, filename=upload.filename
    )
    return idem.respond(session, 201, ImportResult(imported=count))


DeviceFilters = Annotated[devices.DeviceFilter, Depends(query_filters(devices.DeviceFilter))]


@router.get("", response_model=PageOf[DeviceRead])
async def list_devices(
    request: Request,
    actor: Reader,
    filters: DeviceFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Devices the caller may see, with their components, filtered."""
    db: Database = request.app.state.database
    if db.reads_async and devices.is_serial_lookup(filters, cursor):
        # The field app's lookup by serial: one statement on the async driver, no pool hop.
        assert filters.serial is not None
        found = await devices.find_by_serial_async(db, actor=actor, serial=filters.serial)
        return model_json(
            PageOf[DeviceRead](items=[v.device for v in found[:limit]], next_cursor=None)
        )

    def answer(session: Session) -> PageOf[DeviceRead]:
        page = devices.list_(session, actor=actor, filters=filters, limit=limit, cursor=cursor)
        return PageOf[DeviceRead](
            items=[v.device for v in page.items], next_cursor=page.next_cursor
        )

    # The lookup by serial is a hot path: one thread-pool hop, serialized once (FastAPI would
    # validate the response model again); the route's response_model still documents it.
    return await read_json(request, answer)


@router.get("/{device_id}", response_model=DeviceRead)
def get_device(
    device_id: PathId, session: SessionDep, actor: Reader, response: Response
) -> DeviceRead:
    """One device with its components; the `ETag` header is its version, for `If-Match`."""
    return _answer(session, actor, device_id, response)


@router.patch("/{device_id}", response_model=DeviceRead)
def patch_device(
    device_id: PathId,
    data: DeviceUpdate,
    session: SessionDep,
    actor: FieldRole,
    response: Response,
    if_match: IfMatch = None,
) -> DeviceRead:
    """Change levels, config, hostname or status (412 when `If-Match` is stale)."""
    register.patch_device(
        session,
        actor=actor,
        device_id=device_id,
        data=data,
        expected_version=expected_version(if_match),
    )
    return _answer(session, actor, device_id, response)


@router.get("/{device_id}/history", response_model=PageOf[DeviceHistoryRead])
def device_history(
    device_id: PathId,
    session: SessionDep,
    actor: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageOf[DeviceHistoryRead]:
    """Every change of the device, oldest first, with before/after, actor and time."""
    page = devices.history(session, actor=actor, device_id=device_id, limit=limit, cursor=cursor)
    return PageOf[DeviceHistoryRead](items=page.items, next_cursor=page.next_cursor)


@router.post("/{device_id}/components", status_code=201, response_model=DeviceRead)
def install_component(
    device_id: PathId,
    data: ComponentInstall,
    session: SessionDep,
    actor: FieldRole,
    idem: IdempotencyDep,
) -> object:
    """Install a part in an empty slot (409 if occupied); answers the device."""
    register.install_component(
        session,
        actor=actor,
        device_id=device_id,
        slot=data.slot,
        part_number=data.part_number,
        serial=data.serial,
        reference=data.reference,
    )
    view = devices.get(session, actor=actor, device_id=device_id)
    return idem.respond(session, 201, view.device)


@router.post("/{device_id}/components/{slot}/swap", response_model=DeviceRead)
def swap_component(
    device_id: PathId,
    slot: SlotPath,
    data: ComponentSwap,
    session: SessionDep,
    actor: FieldRole,
    idem: IdempotencyDep,
) -> object:
    """Replace the part in a slot by another; the history keeps the removed one."""
    register.swap_component(
        session,
        actor=actor,
        device_id=device_id,
        slot=slot,
        part_number=data.part_number,
        serial=data.serial,
        reference=data.reference,
    )
    view = devices.get(session, actor=actor, device_id=device_id)
    return idem.respond(session, 200, view.device)


@router.delete("/{device_id}/components/{slot}", response_model=DeviceRead)
def remove_component(
    device_id: PathId,
    slot: SlotPath,
    session: SessionDep,
    actor: FieldRole,
    response: Response,
    reference: Reference = None,
) -> DeviceRead:
    """Take the part out of a slot; answers the device without it."""
    register.remove_component(
        session, actor=actor, device_id=device_id, slot=slot, reference=reference
    )
    return _answer(session, actor, device_id, response)
