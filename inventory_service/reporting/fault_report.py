"""The fault report (故障处理报告): everything the document shows about one replacement.

Rules that always hold here:
- Readers are staff and the customer whose device it is; for any other customer the
  replacement does not exist (404), as everywhere.
- The items come in the contract's order: the times (reported, remote support, arrival,
  replaced), the engineers of both sides, the part and serials, impact, process, cause,
  solution, prevention, and the two confirmations; then the SLA clock with its marks.
- Times are shown in the service's time zone (default Asia/Shanghai), as people there read
  them. Queries never write.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import Session

from inventory_service.lifecycle import replacements
from inventory_service.platform.auth import Caller
from inventory_service.platform.settings import get_settings
from models import Customer, Device, Part, Reservation, Site, SpareUnit
from models.reservation import ReplacementRead


class FaultReport(BaseModel):
    """One replacement with the names the document prints."""

    replacement: ReplacementRead
    customer_name: str
    site_name: str
    device_serial: str
    device_model: str
    hostname: str
    part_name: str
    installed_part_number: str
    ticket: str
    deadline_minutes: int
    time_zone: str

    def local(self, value: datetime | None) -> datetime | None:
        """`value` in the service's time zone."""
        return None if value is None else value.astimezone(ZoneInfo(self.time_zone))


def load(session: Session, *, actor: Caller, replacement_id: int) -> FaultReport:
    """The fault report of a replacement the caller may see (else 404)."""
    row = replacements.visible(session, actor, replacement_id)
    read = replacements.reads(session, [row])[0]
    site = session.get(Site, row.site_id)
    customer = session.get(Customer, row.customer_id)
    device = session.get(Device, row.device_id)
    part = session.get(Part, row.part_id)
    unit = session.get(SpareUnit, row.installed_spare_id)
    reservation = session.get(Reservation, row.reservation_id)
    assert site is not None
    assert customer is not None
    assert device is not None
    assert part is not None
    assert unit is not None
    assert reservation is not None
    installed = session.get(Part, unit.part_id)
    assert installed is not None
    cfg = get_settings()
    return FaultReport(
        replacement=read,
        customer_name=customer.name,
        site_name=site.name,
        device_serial=device.serial,
        device_model=f"{device.vendor} {device.model}",
        hostname=device.hostname,
        part_name=part.name,
        installed_part_number=installed.part_number,
        ticket=reservation.ticket,
        deadline_minutes=cfg.deadline_minutes,
        time_zone=cfg.time_zone,
    )
