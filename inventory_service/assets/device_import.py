"""Bulk import of devices from CSV or XLSX into the register.

Rules that always hold here:
- The whole file is validated before anything is written; every bad row is reported with its
  row number (the header is row 1, as a spreadsheet shows it), its column and why. A file
  with any bad row writes nothing (all-or-nothing, in the caller's transaction).
- A row obeys exactly the rules of `POST /devices` (the same `DeviceCreate` schema), plus:
  a serial may appear once in the file (devices and installed components alike) and not be
  in the register already; site codes and part numbers must exist.
- Every imported device gets its one `imported` history row in the same transaction.

The file format (one row per device; header row required, column order free):
    site_code, vendor, model, hostname, serial   required
    status                                        optional, default in_service
    firmware_version, patch_level, microcode_level optional
    config                                        optional, a JSON object: {"role": "PE"}
    components                                    optional, `slot=part_number:serial` items
                                                  separated by `;`, e.g.
                                                  `PSU1=PAC-2200WF:2102A1;MPU0=CR5D00E4XF90:2102B2`
CSV is UTF-8 (a BOM is accepted), comma-separated. XLSX: the first sheet, same columns; keep
level columns formatted as text in the spreadsheet (a number cell `7.30` would read `7.3`).

Bounds (settings, documented in the README), each refused with `PayloadTooLarge` (413) before
the work grows: at most `import_max_rows` rows after the header; a CSV field of at most
`import_max_field_kb`; an XLSX (a zip) whose members unpack to at most `import_max_unpacked_mb`
in all, read by openpyxl in read-only (streaming) mode and at most `MAX_COLUMNS` columns wide.
A problem never echoes more than `EXCERPT` characters of the file's text.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from inventory_service.platform.auth import Caller
from inventory_service.platform.bulk import gc_paused, insert_many, reserve_ids
from inventory_service.platform.db import flush_or_conflict
from inventory_service.platform.errors import DuplicateSerial, PayloadTooLarge, ValidationFailed
from inventory_service.platform.progress import Progress
from inventory_service.platform.settings import get_settings
from models import Component, Device, DeviceHistory, Part, Site, bounds
from models.base import utcnow
from models.device import DeviceCreate

REQUIRED: Final = ("site_code", "vendor", "model", "hostname", "serial")
OPTIONAL: Final = (
    "status",
    "firmware_version",
    "patch_level",
    "microcode_level",
    "config",
    "components",
)
COLUMNS: Final = REQUIRED + OPTIONAL
MAX_REPORTED: Final = 1000  # problems listed in one answer; the count names the rest
# Values per IN (...) when checking the register: under SQLite's 32,766 bound parameters.
_CHUNK: Final = 10_000
_WRITE_BATCH: Final = 5000
EXCERPT: Final = 80  # characters of the file's text a problem may quote
MAX_COLUMNS: Final = 64  # cells read per XLSX row; the header may name at most these
MAX_ZIP_MEMBERS: Final = 10_000


def excerpt(text: str) -> str:
    """At most `EXCERPT` characters of `text` (an answer never echoes a file back)."""
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


@dataclass
class ImportProblems:
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, column: str, reason: str) -> None:
        self.total += 1
        if len(self.items) < MAX_REPORTED:
            column = excerpt(column)
            self.items.append(
                {
                    "row": row,
                    "column": column,
                    "field": f"row {row}: {column}",
                    "reason": reason if len(reason) <= 4 * EXCERPT else excerpt(reason),
                }
            )

    def raise_if_any(self) -> None:
        if self.total:
            more = f" (first {len(self.items)} listed)" if self.total > len(self.items) else ""
            raise ValidationFailed(
                f"{self.total} problem(s) in the file; nothing was imported{more}",
                details=self.items,
            )


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int
    device: DeviceCreate


def _too_many_rows(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the file has more than {limit:,} rows; split it",
        details=[
            {"field": "file", "reason": f"more than {limit} rows (INVENTORY_IMPORT_MAX_ROWS)"}
        ],
    )


def _csv_rows(content: bytes, field_limit: int) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.field("file", "CSV must be UTF-8 encoded") from None
    # The csv module's limit is process-wide; every import sets the same configured value.
    csv.field_size_limit(field_limit)
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = reader.line_num
            if "field larger than field limit" in str(exc):
                raise PayloadTooLarge(
                    f"row {row}: a field is over {field_limit // 1024} KB",
                    details=[
                        {
                            "field": f"row {row}",
                            "reason": f"field over {field_limit} characters "
                            "(INVENTORY_IMPORT_MAX_FIELD_KB)",
                        }
                    ],
                ) from None
            raise ValidationFailed.field(f"row {row}", f"not valid CSV: {exc}") from None
        yield values


def read_rows(content: bytes, filename: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, column → text) for every non-blank data row; the header is checked."""
    cfg = get_settings()
    max_rows = cfg.import_max_rows
    if filename.lower().endswith(".xlsx"):
        raw = _xlsx_rows(content, max_bytes=int(cfg.import_max_unpacked_mb * 1024 * 1024))
    else:
        raw = _csv_rows(content, field_limit=cfg.import_max_field_kb * 1024)
    header = next(raw, None)
    if header is None:
        raise ValidationFailed.field("file", "the file is empty (a header row is required)")
    names = [h.strip() for h in header]
    problems = ImportProblems()
    for name in names:
        if name and name not in COLUMNS:
            problems.add(1, name, f"unknown column; expected some of {', '.join(COLUMNS)}")
    for name in REQUIRED:
        if name not in names:
            problems.add(1, name, "required column is missing")
    problems.raise_if_any()
    for number, values in enumerate(raw, start=2):
        if number > max_rows + 1:
            raise _too_many_rows(max_rows)
        if not any(v.strip() for v in values):
            continue
        row = {name: values[i] if i < len(values) else "" for i, name in enumerate(names) if name}
        if len(values) > len(names) and any(v.strip() for v in values[len(names) :]):
            row["\0extra"] = "1"
        yield number, row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_unpacked_size(content: bytes, max_bytes: int) -> None:
    """Refuse a zip whose members would unpack to more than `max_bytes` (before unpacking).

    The sizes are the ones the zip declares; Python's zipfile (which openpyxl reads through)
    never yields more than a member declares, and a member that holds more fails its CRC.
    """
    unreadable = ValidationFailed.field("file", "not a readable XLSX workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise unreadable
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_bytes:
        raise PayloadTooLarge(
            f"the workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB, over "
            f"{max_bytes / 1024 / 1024:g} MB",
            details=[
                {
                    "field": "file",
                    "reason": f"unpacks to {unpacked} bytes, over {max_bytes} "
                    "(INVENTORY_IMPORT_MAX_UNPACKED_MB)",
                }
            ],
        )


def _xlsx_rows(content: bytes, *, max_bytes: int) -> Iterator[list[str]]:
    import openpyxl

    check_unpacked_size(content, max_bytes)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed.field("file", "not a readable XLSX workbook") from None
    try:
        sheet = book.worksheets[0]
        # Bounded width: a sheet declaring 16,384 columns is not padded to them. The height is
        # bounded by the caller's row cap, which stops this generator.
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:
                raise ValidationFailed.field("file", "not a readable XLSX workbook") from None
            yield [_cell(v) for v in values]
    finally:
        book.close()


def parse_components(text: str) -> list[dict[str, str]]:
    """`slot=part_number:serial;...` → component dicts; ValueError names what is wrong."""
    found = []
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        slot, eq, rest = item.partition("=")
        part_number, colon, serial = rest.partition(":")
        if not eq or not colon:
            raise ValueError(f"{excerpt(item)!r} is not slot=part_number:serial")
        found.append(
            {"slot": slot.strip(), "part_number": part_number.strip(), "serial": serial.strip()}
        )
    return found


def _column_of(loc: Sequence[int | str]) -> str:
    return str(loc[0]) if loc else "row"


def parse_row(number: int, row: dict[str, str], problems: ImportProblems) -> ParsedRow | None:
    """One row checked against `DeviceCreate`; its problems are added, None when any."""
    if row.pop("\0extra", None):
        problems.add(number, "row", "more cells than header columns")
    data: dict[str, Any] = {}
    bad = False
    for name, value in row.items():
        value = value.strip()
        if not value:
            continue
        if name == "config":
            try:
                data["config"] = json.loads(value)
            except ValueError:
                problems.add(number, "config", "not valid JSON (a JSON object is expected)")
                bad = True
        elif name == "components":
            try:
                data["components"] = parse_components(value)
            except ValueError as exc:
                problems.add(number, "components", str(exc))
                bad = True
        else:
            data[name] = value
    try:
        device = DeviceCreate.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            column = _column_of(loc)
            where = ".".join(str(p) for p in loc[1:])
            reason = f"{where}: {err['msg']}" if where else err["msg"]
            problems.add(number, column, reason)
        return None
    return None if bad else ParsedRow(number, device)


def _existing(session: Session, column: Any, values: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        found.update(session.execute(sa_select(column).where(column.in_(chunk))).scalars())
    return found


def validate(session: Session, rows: Sequence[ParsedRow], problems: ImportProblems) -> None:
    """The cross-row and register checks: sites, parts, slots and serials."""
    sites: dict[str, int] = dict(session.execute(sa_select(col(Site.code), col(Site.id))).all())
    parts = set(session.execute(sa_select(col(Part.part_number))).scalars())
    device_rows: dict[str, int] = {}
    component_rows: dict[str, int] = {}
    for parsed in rows:
        d, n = parsed.device, parsed.row
        if d.site_code not in sites:
            problems.add(n, "site_code", f"unknown site {d.site_code!r}")
        first = device_rows.setdefault(d.serial, n)
        if first != n:
            problems.add(n, "serial", f"serial {d.serial!r} is also on row {first}")
        slots: set[str] = set()
        serials: set[str] = set()
        for i, c in enumerate(d.components):
            if c.part_number not in parts:
                problems.add(n, "components", f"{i}.part_number: unknown part {c.part_number!r}")
            if c.slot in slots:
                problems.add(n, "components", f"{i}.slot: slot {c.slot!r} given twice")
            seen = component_rows.setdefault(c.serial, n)
            if seen != n or c.serial in serials:
                problems.add(
                    n, "components", f"{i}.serial: serial {c.serial!r} is also on row {seen}"
                )
            slots.add(c.slot)
            serials.add(c.serial)
    taken_devices = _existing(session, col(Device.serial), list(device_rows))
    taken_components = _existing(session, col(Component.serial), list(component_rows))
    for parsed in rows:
        d, n = parsed.device, parsed.row
        if d.serial in taken_devices:
            problems.add(n, "serial", f"device serial {d.serial!r} is registered already")
        for i, c in enumerate(d.components):
            if c.serial in taken_components:
                problems.add(
                    n, "components", f"{i}.serial: {c.serial!r} is installed in a device already"
                )


def import_devices(
    session: Session,
    *,
    actor: Caller,
    content: bytes,
    filename: str,
    progress: Progress | None = None,
) -> int:
    """Validate a whole CSV/XLSX file, then write every device of it (or none); the count."""
    with gc_paused():  # 100,000 devices are ~1.5 million acyclic objects alive at once
        return _import(session, actor=actor, content=content, filename=filename, progress=progress)


def _import(
    session: Session, *, actor: Caller, content: bytes, filename: str, progress: Progress | None
) -> int:
    problems = ImportProblems()
    parsed: list[ParsedRow] = []
    for number, row in read_rows(content, filename):
        result = parse_row(number, row, problems)
        if result is not None:
            parsed.append(result)
    validate(session, parsed, problems)
    problems.raise_if_any()
    if progress is not None:
        progress.total = len(parsed)
    _write(session, actor=actor, rows=parsed, reference=filename, progress=progress)
    return len(parsed)


def _device_rows(
    batch: Sequence[ParsedRow], sites: dict[str, int], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "site_id": sites[p.device.site_code],
            "vendor": p.device.vendor,
            "model": p.device.model,
            "hostname": p.device.hostname,
            "serial": p.device.serial,
            "status": p.device.status.value,
            "firmware_version": p.device.firmware_version,
            "patch_level": p.device.patch_level,
            "microcode_level": p.device.microcode_level,
            "config": p.device.config,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for p in batch
    ]


def _component_rows(
    ids: Sequence[int], batch: Sequence[ParsedRow], parts: dict[str, int], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "device_id": device_id,
            "slot": c.slot,
            "part_id": parts[c.part_number],
            "serial": c.serial,
            "installed_at": now,
        }
        for device_id, p in zip(ids, batch, strict=True)
        for c in p.device.components
    ]


def _history_rows(
    ids: Sequence[int],
    devices: list[dict[str, Any]],
    batch: Sequence[ParsedRow],
    actor: Caller,
    reference: str,
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "device_id": device_id,
            "action": "imported",
            "before": None,
            "after": _snapshot(values, p.device),
            "actor": actor.actor,
            "reference": bounds.fit(reference),
            "at": now,
        }
        for device_id, values, p in zip(ids, devices, batch, strict=True)
    ]


def _write(
    session: Session,
    *,
    actor: Caller,
    rows: Sequence[ParsedRow],
    reference: str,
    progress: Progress | None,
) -> None:
    """Devices, their components and one history row each, in batches of Core inserts."""
    sites: dict[str, int] = dict(session.execute(sa_select(col(Site.code), col(Site.id))).all())
    parts: dict[str, int] = dict(
        session.execute(sa_select(col(Part.part_number), col(Part.id))).all()
    )
    device_t = Device.__table__  # type: ignore[attr-defined]
    component_t = Component.__table__  # type: ignore[attr-defined]
    history_t = DeviceHistory.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    conflict = DuplicateSerial(
        "a serial of the file was registered by someone else meanwhile; nothing was imported",
        details=[{"field": "serial", "reason": "registered concurrently"}],
    )
    for start in range(0, len(rows), _WRITE_BATCH):
        batch = rows[start : start + _WRITE_BATCH]
        now = utcnow()
        devices = _device_rows(batch, sites, now)
        try:
            ids = reserve_ids(connection, device_t, len(devices))
            for device_id, values in zip(ids, devices, strict=True):
                values["id"] = device_id
            insert_many(connection, device_t, devices)
            insert_many(connection, component_t, _component_rows(ids, batch, parts, now))
            history = _history_rows(ids, devices, batch, actor, reference, now)
            insert_many(connection, history_t, history)
        except IntegrityError as exc:
            raise conflict from exc
        if progress is not None:
            progress.advance(len(batch))
    flush_or_conflict(session, conflict)


def _snapshot(values: dict[str, Any], device: DeviceCreate) -> dict[str, Any]:
    after = {k: v for k, v in values.items() if k not in ("version", "created_at", "updated_at")}
    after["components"] = [
        {"slot": c.slot, "part_number": c.part_number, "serial": c.serial}
        for c in device.components
    ]
    return after
