"""Events published to live boards (not stored: the movement ledger is the record)."""

from __future__ import annotations

from datetime import datetime

from models.base import ReadModel


class SpareChange(ReadModel):
    """One committed movement of a spare unit, as the dispatcher's board shows it.

    It carries no actor or reference (those name engineers and tickets), so every reader,
    a customer included, may receive it.
    """

    movement_id: int
    spare_id: int
    part_number: str
    serial: str
    action: str
    from_status: str | None
    to_status: str
    from_warehouse_code: str | None
    to_warehouse_code: str | None
    at: datetime
