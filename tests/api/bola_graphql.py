"""The GraphQL cases of the BOLA sweep (`tests/api/test_bola.py`): every Query and Mutation
field, aimed at customer B's things (`tests/api/bola_world.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.api.bola_rest import replacement_body
from tests.api.bola_world import MONTH, PART_A, PART_B, PART_B_ALTERNATE, SITE_B, B, Kind, World


@dataclass(frozen=True)
class Field:
    """One GraphQL root field aimed at B's things: `document` selects it (aliased or not)."""

    name: str
    kind: Kind
    document: str
    variables: dict[str, Any] = field(default_factory=dict)


DEVICE = "id serial siteCode customerCode components { serial partNumber }"
SPARE = "id serial partNumber status"
REPLACEMENT = "id siteCode customerCode removedSerial installedSerial cause"


def graphql_fields(w: World) -> list[Field]:
    """Every GraphQL Query and Mutation field, aimed at B's things."""
    return [
        *_place_and_device_reads(w),
        *_stock_and_lifecycle_reads(w),
        *_internal_reads(w),
        *_writes(w),
        *_loan_writes(w),
        *_catalogue_and_stock_writes(w),
    ]


def _place_and_device_reads(w: World) -> list[Field]:
    return [
        Field("customers", Kind.LIST, "{ customers { items { code name } } }"),
        Field("customers", Kind.LIST, f'{{ customers(code: "{B}") {{ items {{ code }} }} }}'),
        Field("customer", Kind.OWN, f'{{ customer(code: "{B}") {{ code name }} }}'),
        Field("sites", Kind.LIST, "{ sites { items { code customerCode devices { serial } } } }"),
        Field("sites", Kind.LIST, f'{{ sites(customerCode: "{B}") {{ items {{ code }} }} }}'),
        Field("site", Kind.OWN, f'{{ site(code: "{SITE_B}") {{ code devices {{ serial }} }} }}'),
        Field("warehouses", Kind.SHARED, "{ warehouses { items { code } } }"),
        Field("device", Kind.OWN, f'{{ device(id: "{w.device}") {{ {DEVICE} }} }}'),
        Field("devices", Kind.LIST, f"{{ devices {{ items {{ {DEVICE} }} }} }}"),
        Field(
            "devices", Kind.LIST, f'{{ devices(siteCode: "{SITE_B}") {{ items {{ serial }} }} }}'
        ),
        Field("devices", Kind.LIST, f'{{ devices(customerCode: "{B}") {{ items {{ serial }} }} }}'),
        Field("parts", Kind.SHARED, "{ parts { items { partNumber } } }"),
        Field("part", Kind.SHARED, f'{{ part(partNumber: "{PART_B}") {{ partNumber }} }}'),
    ]


def _stock_and_lifecycle_reads(w: World) -> list[Field]:
    report = "rows { customer site deviceSerial removedSerial } summary { count }"
    return [
        Field("spares", Kind.LIST, f"{{ spares {{ items {{ {SPARE} }} }} }}"),
        Field(
            "spares", Kind.LIST, f'{{ spares(partNumber: "{PART_B}") {{ items {{ serial }} }} }}'
        ),
        Field("spare", Kind.OWN, f'{{ spare(id: "{w.spare}") {{ {SPARE} }} }}'),
        Field("spare", Kind.OWN, f'{{ spare(id: "{w.faulty_spare}") {{ {SPARE} }} }}'),
        Field("sparesSummary", Kind.LIST, "{ sparesSummary { items { partNumber count } } }"),
        Field(
            "availability",
            Kind.OWN,
            f'{{ availability(siteCode: "{SITE_B}", partNumber: "{PART_B}") {{ siteCode }} }}',
        ),
        Field(
            "availability",
            Kind.OWN,
            f'{{ availability(deviceId: "{w.device}", slot: "PSU1") {{ siteCode partNumber }} }}',
        ),
        Field("coverage", Kind.LIST, "{ coverage { rows { siteCode partNumber } } }"),
        Field(
            "coverage",
            Kind.LIST,
            f'{{ coverage(customerCode: "{B}") {{ pairs rows {{ siteCode }} }} }}',
        ),
        Field("replacements", Kind.LIST, f"{{ replacements {{ items {{ {REPLACEMENT} }} }} }}"),
        Field(
            "replacements",
            Kind.LIST,
            f'{{ replacements(deviceId: "{w.device}") {{ items {{ {REPLACEMENT} }} }} }}',
        ),
        Field(
            "replacement",
            Kind.OWN,
            f'{{ replacement(id: "{w.replacement}") {{ {REPLACEMENT} }} }}',
        ),
        Field(
            "replacementReport",
            Kind.LIST,
            f'{{ replacementReport(month: "{MONTH}") {{ {report} }} }}',
        ),
        Field(
            "replacementReport",
            Kind.LIST,
            f'{{ replacementReport(month: "{MONTH}", customerCode: "{B}") {{ {report} }} }}',
        ),
    ]


def _internal_reads(w: World) -> list[Field]:
    """Repairs, edits and reservations (staff only); loans (a customer: to its own sites)."""
    return [
        Field("repairs", Kind.STAFF, "{ repairs { items { id serial } } }"),
        Field("repair", Kind.STAFF, f'{{ repair(id: "{w.repair}") {{ id serial }} }}'),
        Field(
            "replacementEdits",
            Kind.STAFF,
            f'{{ replacementEdits(id: "{w.replacement}") {{ items {{ id }} }} }}',
        ),
        Field("reservations", Kind.STAFF, "{ reservations { items { id siteCode } } }"),
        Field("reservation", Kind.STAFF, f'{{ reservation(id: "{w.reservation}") {{ id }} }}'),
        Field("loans", Kind.LIST, "{ loans { items { id siteCode } } }"),
        Field(
            "loans", Kind.LIST, f'{{ loans(siteCode: "{SITE_B}") {{ items {{ id siteCode }} }} }}'
        ),
        Field("loan", Kind.OWN, f'{{ loan(id: "{w.loan}") {{ id siteCode }} }}'),
    ]


def _catalogue_and_stock_writes(w: World) -> list[Field]:
    return [
        Field(
            "updateSpare",
            Kind.WRITE,
            f'mutation {{ updateSpare(id: "{w.spare}", firmwareVersion: "x") {{ id }} }}',
        ),
        Field(
            "addPartAlternate",
            Kind.WRITE,
            f'mutation {{ addPartAlternate(partNumber: "{PART_B}", alternatePartNumber: '
            f'"{PART_A}", document: "x") {{ partNumber }} }}',
        ),
        Field(
            "removePartAlternate",
            Kind.WRITE,
            f'mutation {{ removePartAlternate(partNumber: "{PART_B}", alternatePartNumber: '
            f'"{PART_B_ALTERNATE}") {{ partNumber }} }}',
        ),
    ]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _writes(w: World) -> list[Field]:
    patch = 'mutation($id: ID!) { updateReplacement(id: $id, input: {cause: "x"}) { id } }'
    reserve = (
        'mutation($input: ReserveInput!) { reserve(input: $input, idempotencyKey: "k-1") { id } }'
    )
    replace = "mutation($input: ReplacementInput!) { recordReplacement(input: $input) { id } }"
    body = replacement_body(w)
    return [
        Field(
            "reserve",
            Kind.WRITE,
            reserve,
            {
                "input": {
                    "siteCode": SITE_B,
                    "partNumber": PART_B,
                    "ticket": "T-X",
                    "engineer": "x",
                    "spareId": str(w.spare),
                    "requireWithinDeadline": False,
                }
            },
        ),
        Field(
            "cancelReservation",
            Kind.WRITE,
            f'mutation {{ cancelReservation(id: "{w.reservation}") {{ id }} }}',
        ),
        Field(
            "dispatchReservation",
            Kind.WRITE,
            f'mutation {{ dispatchReservation(id: "{w.reservation}") {{ id }} }}',
        ),
        Field(
            "recordReplacement",
            Kind.WRITE,
            replace,
            {"input": {_camel(k): str(v) if k.endswith("_id") else v for k, v in body.items()}},
        ),
        Field("updateReplacement", Kind.WRITE, patch, {"id": str(w.replacement)}),
        Field(
            "sendToRepair",
            Kind.WRITE,
            f'mutation {{ sendToRepair(spareId: "{w.faulty_spare}", vendor: "Dell", '
            'rmaNumber: "RMA-X") { id } }',
        ),
        Field(
            "receiveRepair",
            Kind.WRITE,
            f'mutation {{ receiveRepair(id: "{w.repair}", outcome: "scrapped") {{ id }} }}',
        ),
    ]


def _loan_writes(w: World) -> list[Field]:
    return [
        Field(
            "lendStandby",
            Kind.WRITE,
            "mutation($input: LoanInput!) { lendStandby(input: $input) { id } }",
            {
                "input": {
                    "standbyDeviceId": str(w.loan_standby),
                    "siteCode": SITE_B,
                    "replacesDeviceId": str(w.loan_replaces),
                    "ticket": "T-X",
                }
            },
        ),
        Field(
            "returnLoan",
            Kind.WRITE,
            f'mutation {{ returnLoan(id: "{w.loan}") {{ id }} }}',
        ),
    ]
