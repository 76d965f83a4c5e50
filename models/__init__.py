"""SQLModel tables and API schemas; importing this package registers every table."""

from models.auth import ApiToken, Role
from models.base import metadata
from models.device import Component, Device, DeviceHistory, DeviceStatus
from models.idempotency import IdempotencyRecord
from models.ledger import Movement
from models.part import Part, PartAlternate
from models.place import Customer, Site, Warehouse, WarehouseKind
from models.reservation import (
    FaultLevel,
    Loan,
    LoanStatus,
    RepairOrder,
    RepairStatus,
    Replacement,
    ReplacementEdit,
    Reservation,
    ReservationStatus,
)
from models.spare import Condition, SpareCount, SpareUnit, Stocktake, UnitStatus

__all__ = [
    "ApiToken",
    "Component",
    "Condition",
    "Customer",
    "Device",
    "DeviceHistory",
    "DeviceStatus",
    "FaultLevel",
    "IdempotencyRecord",
    "Loan",
    "LoanStatus",
    "Movement",
    "Part",
    "PartAlternate",
    "RepairOrder",
    "RepairStatus",
    "Replacement",
    "ReplacementEdit",
    "Reservation",
    "ReservationStatus",
    "Role",
    "Site",
    "SpareCount",
    "SpareUnit",
    "Stocktake",
    "UnitStatus",
    "Warehouse",
    "WarehouseKind",
    "metadata",
]
