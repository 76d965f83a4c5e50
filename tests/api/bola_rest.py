"""The REST cases of the BOLA sweep (`tests/api/test_bola.py`): every operation under /api/v1,
aimed at customer B's things (`tests/api/bola_world.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from models.base import utcnow
from tests.api.bola_world import (
    MONTH,
    PART_A,
    PART_B,
    PART_B_ALTERNATE,
    SITE_B,
    WAREHOUSE,
    B,
    Kind,
    World,
)

API = "/api/v1"


@dataclass(frozen=True)
class Case:
    """One request aimed at B's things; `route` is the template the app serves it under."""

    method: str
    route: str
    kind: Kind
    url: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    opaque: bool = False  # B's answer (a DOCX, a ledger) names nothing: its 200 is the proof
    owner_sees: bool = True  # False: B may not see it either (404), the case is about A alone

    @property
    def target(self) -> str:
        return self.url or self.route


def rest_cases(w: World) -> list[Case]:
    """Every REST operation, aimed at B's things."""
    return [
        *_place_cases(),
        *_catalogue_cases(),
        *_device_cases(w),
        *_stock_cases(w),
        *_internal_stock_cases(w),
        *_lifecycle_cases(w),
        *_reservation_and_loan_cases(w),
    ]


def _place_cases() -> list[Case]:
    site = {"code": "SY-NEW", "name": "n", "customer_code": B, "city": "沈阳"}
    return [
        Case("GET", f"{API}/customers", Kind.LIST),
        Case("GET", f"{API}/customers", Kind.LIST, params={"code": B}),
        Case("GET", f"{API}/customers/{{code}}", Kind.OWN, f"{API}/customers/{B}"),
        Case("POST", f"{API}/customers", Kind.WRITE, body={"code": "LNBETA2", "name": "x"}),
        Case("GET", f"{API}/sites", Kind.LIST),
        Case("GET", f"{API}/sites", Kind.LIST, params={"customer_code": B}),
        Case("GET", f"{API}/sites/{{code}}", Kind.OWN, f"{API}/sites/{SITE_B}"),
        Case("POST", f"{API}/sites", Kind.WRITE, body=site | {"lat": 41.8, "lon": 123.4}),
        Case(
            "PATCH",
            f"{API}/sites/{{code}}",
            Kind.WRITE,
            f"{API}/sites/{SITE_B}",
            body={"name": "x"},
        ),
    ]


def _catalogue_cases() -> list[Case]:
    """The catalogue every role reads, the places' writes, coverage and availability."""
    return [
        Case("GET", f"{API}/warehouses", Kind.SHARED),
        Case("GET", f"{API}/warehouses/{{code}}", Kind.SHARED, f"{API}/warehouses/{WAREHOUSE}"),
        Case(
            "POST",
            f"{API}/warehouses",
            Kind.WRITE,
            body={"code": "WH-X", "name": "x", "lat": 41.8, "lon": 123.4, "kind": "depot"},
        ),
        Case("GET", f"{API}/parts", Kind.SHARED),
        Case(
            "POST",
            f"{API}/parts/{{part_number}}/alternates",
            Kind.WRITE,
            f"{API}/parts/{PART_B}/alternates",
            body={"part_number": PART_A, "document": "x"},
        ),
        Case(
            "DELETE",
            f"{API}/parts/{{part_number}}/alternates/{{alternate}}",
            Kind.WRITE,
            f"{API}/parts/{PART_B}/alternates/{PART_B_ALTERNATE}",
        ),
        Case("GET", f"{API}/parts/{{part_number}}", Kind.SHARED, f"{API}/parts/{PART_B}"),
        Case(
            "GET",
            f"{API}/parts/{{part_number}}/substitutes",
            Kind.SHARED,
            f"{API}/parts/{PART_B}/substitutes",
        ),
        Case(
            "POST",
            f"{API}/parts",
            Kind.WRITE,
            body={
                "part_number": "PN-X",
                "name": "x",
                "vendor": "Dell",
                "category": "c",
                "specs": {},
            },
        ),
        Case("GET", f"{API}/coverage", Kind.LIST),
        Case("GET", f"{API}/coverage", Kind.LIST, params={"customer_code": B}),
        Case(
            "GET",
            f"{API}/availability",
            Kind.OWN,
            params={"site_code": SITE_B, "part_number": PART_B},
        ),
        Case(
            "GET",
            f"{API}/availability",
            Kind.OWN,
            params={"site_code": SITE_B, "part_number": PART_A},
            owner_sees=False,  # A's own part at B's site: B's scope holds no PART_A
        ),
    ]


def _device_cases(w: World) -> list[Case]:
    one = f"{API}/devices/{w.device}"
    component = {"slot": "PSU9", "part_number": PART_B, "serial": "SN-X"}
    device = {
        "site_code": SITE_B,
        "vendor": "Dell",
        "model": "R750",
        "hostname": "h",
        "serial": "X",
    }
    csv = "site_code,vendor,model,hostname,serial\r\nSY-BETA,Dell,R750,h,SN-Y\r\n"
    return [
        Case("GET", f"{API}/devices", Kind.LIST),
        Case("GET", f"{API}/devices", Kind.LIST, params={"site_code": SITE_B}),
        Case("GET", f"{API}/devices", Kind.LIST, params={"customer_code": B}),
        Case("GET", f"{API}/devices", Kind.LIST, params={"serial": "DEV-BETA-1"}),
        Case("GET", f"{API}/devices/{{device_id}}", Kind.OWN, one),
        Case("GET", f"{API}/devices/{{device_id}}/history", Kind.OWN, f"{one}/history"),
        Case(
            "GET",
            f"{API}/availability",
            Kind.OWN,
            params={"device_id": w.device, "slot": "PSU1"},
        ),
        Case("POST", f"{API}/devices", Kind.WRITE, body=device),
        Case("POST", f"{API}/devices/import", Kind.WRITE, body=("d.csv", csv)),
        Case("PATCH", f"{API}/devices/{{device_id}}", Kind.WRITE, one, body={"hostname": "x"}),
        Case(
            "POST",
            f"{API}/devices/{{device_id}}/components",
            Kind.WRITE,
            f"{one}/components",
            body=component,
        ),
        Case(
            "POST",
            f"{API}/devices/{{device_id}}/components/{{slot}}/swap",
            Kind.WRITE,
            f"{one}/components/PSU1/swap",
            body={"part_number": PART_B, "serial": "SP-BETA-3"},
        ),
        Case(
            "DELETE",
            f"{API}/devices/{{device_id}}/components/{{slot}}",
            Kind.WRITE,
            f"{one}/components/PSU1",
        ),
    ]


def _stock_cases(w: World) -> list[Case]:
    unit = f"{API}/spares/{w.spare}"
    receive = {
        "part_number": PART_B,
        "serial": "SP-BETA-X",
        "warehouse_code": WAREHOUSE,
        "genuine": True,
        "provenance": {"supplier": "s", "channel": "c", "document": "d"},
        "condition": "new",
    }
    return [
        Case("GET", f"{API}/spares", Kind.LIST),
        Case("GET", f"{API}/spares", Kind.LIST, params={"part_number": PART_B}),
        Case("GET", f"{API}/spares/summary", Kind.LIST),
        Case("GET", f"{API}/spares/summary", Kind.LIST, params={"part_number": PART_B}),
        Case("GET", f"{API}/spares/export", Kind.LIST, params={"format": "csv"}),
        Case("GET", f"{API}/spares/{{spare_id}}", Kind.OWN, unit),
        Case("GET", f"{API}/spares/{{spare_id}}", Kind.OWN, f"{API}/spares/{w.faulty_spare}"),
        Case(
            "GET",
            f"{API}/spares/{{spare_id}}/movements",
            Kind.OWN,
            f"{unit}/movements",
            opaque=True,
        ),
        Case("POST", f"{API}/spares", Kind.WRITE, body=receive),
        Case("POST", f"{API}/spares/{{spare_id}}/verify", Kind.WRITE, f"{unit}/verify"),
        Case(
            "PATCH",
            f"{API}/spares/{{spare_id}}",
            Kind.WRITE,
            unit,
            body={"firmware_version": "x"},
        ),
        Case(
            "POST",
            f"{API}/spares/{{spare_id}}/transfer",
            Kind.WRITE,
            f"{unit}/transfer",
            body={"warehouse_code": WAREHOUSE},
        ),
        Case("POST", f"{API}/spares/{{spare_id}}/scrap", Kind.WRITE, f"{unit}/scrap"),
    ]


def _internal_stock_cases(w: World) -> list[Case]:
    """Stocktakes and repairs: no customer reads them."""
    stocktakes = f"{API}/warehouses/{WAREHOUSE}/stocktakes"
    return [
        Case("GET", f"{API}/warehouses/{{code}}/stocktakes", Kind.STAFF, stocktakes),
        Case(
            "GET",
            f"{API}/warehouses/{{code}}/stocktakes/{{stocktake_id}}",
            Kind.STAFF,
            f"{stocktakes}/{w.stocktake}",
        ),
        Case(
            "POST",
            f"{API}/warehouses/{{code}}/stocktakes",
            Kind.WRITE,
            stocktakes,
            body={"counted": [{"serial": "SP-BETA-3"}]},
        ),
        Case("GET", f"{API}/repairs", Kind.STAFF),
        Case("GET", f"{API}/repairs/{{repair_id}}", Kind.STAFF, f"{API}/repairs/{w.repair}"),
        Case(
            "POST",
            f"{API}/repairs",
            Kind.WRITE,
            body={"spare_id": w.faulty_spare, "vendor": "Dell", "rma_number": "RMA-X"},
        ),
        Case(
            "POST",
            f"{API}/repairs/{{repair_id}}/receive",
            Kind.WRITE,
            f"{API}/repairs/{w.repair}/receive",
            body={"outcome": "scrapped"},
        ),
    ]


def _lifecycle_cases(w: World) -> list[Case]:
    replacement = f"{API}/replacements/{w.replacement}"
    return [
        Case("GET", f"{API}/replacements", Kind.LIST),
        Case("GET", f"{API}/replacements", Kind.LIST, params={"site_code": SITE_B}),
        Case("GET", f"{API}/replacements", Kind.LIST, params={"device_id": w.device}),
        Case("GET", f"{API}/replacements/{{replacement_id}}", Kind.OWN, replacement),
        Case(
            "GET",
            f"{API}/replacements/{{replacement_id}}/fault-report",
            Kind.OWN,
            f"{replacement}/fault-report",
            params={"format": "docx"},
            opaque=True,
        ),
        Case(
            "GET",
            f"{API}/replacements/{{replacement_id}}/edits",
            Kind.STAFF,
            f"{replacement}/edits",
        ),
        Case(
            "PATCH",
            f"{API}/replacements/{{replacement_id}}",
            Kind.WRITE,
            replacement,
            body={"cause": "x"},
        ),
        Case("GET", f"{API}/reports/replacements", Kind.LIST, params={"month": MONTH}),
        Case(
            "GET",
            f"{API}/reports/replacements",
            Kind.LIST,
            params={"month": MONTH, "format": "csv"},
        ),
        Case(
            "GET",
            f"{API}/reports/replacements",
            Kind.LIST,
            params={"month": MONTH, "customer_code": B},
        ),
    ]


def _reservation_and_loan_cases(w: World) -> list[Case]:
    """Reservations (no customer reads or makes them) and loans (a customer reads those to its
    own sites)."""
    reservation = f"{API}/reservations/{w.reservation}"
    reserve = {
        "site_code": SITE_B,
        "part_number": PART_B,
        "ticket": "T-X",
        "engineer": "x",
        "spare_id": w.spare,
    }
    loan = {
        "standby_device_id": w.loan_standby,
        "site_code": SITE_B,
        "replaces_device_id": w.loan_replaces,
        "ticket": "T-X",
    }
    return [
        Case("GET", f"{API}/reservations", Kind.STAFF),
        Case("GET", f"{API}/reservations/{{reservation_id}}", Kind.STAFF, reservation),
        Case("POST", f"{API}/reservations", Kind.WRITE, body=reserve),
        Case(
            "POST",
            f"{API}/reservations/{{reservation_id}}/cancel",
            Kind.WRITE,
            f"{reservation}/cancel",
        ),
        Case(
            "POST",
            f"{API}/reservations/{{reservation_id}}/dispatch",
            Kind.WRITE,
            f"{reservation}/dispatch",
        ),
        Case(
            "POST",
            f"{API}/replacements",
            Kind.WRITE,
            body=replacement_body(w),
        ),
        Case("GET", f"{API}/loans", Kind.LIST),
        Case("GET", f"{API}/loans", Kind.LIST, params={"site_code": SITE_B}),
        Case("GET", f"{API}/loans/{{loan_id}}", Kind.OWN, f"{API}/loans/{w.loan}"),
        Case("POST", f"{API}/loans", Kind.WRITE, body=loan),
        Case("POST", f"{API}/loans/{{loan_id}}/return", Kind.WRITE, f"{API}/loans/{w.loan}/return"),
    ]


def replacement_body(w: World) -> dict[str, Any]:
    now = utcnow()
    return {
        "reservation_id": w.reservation,
        "device_id": w.device,
        "removed_serial": "NEW-BETA-1",
        "reason": "x",
        "fault_level": "minor",
        "fault_impact": "x",
        "fault_reported_at": (now - timedelta(hours=2)).isoformat(),
        "replaced_at": (now - timedelta(hours=1)).isoformat(),
        "customer_confirmed_by": "x",
        "engineer_confirmed_by": "x",
    }
