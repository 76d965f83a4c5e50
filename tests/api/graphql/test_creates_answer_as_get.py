"""Every GraphQL create answers exactly what its query returns (times in UTC, whatever offset
the caller wrote): reserve, recordReplacement, sendToRepair, addPartAlternate."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from models.base import utcnow
from tests import factories
from tests.api.graphql.conftest import GQL

SHANGHAI = timezone(timedelta(hours=8))
RESERVATION = "id status spareId serial partNumber warehouseCode etaMinutes expiresAt"
REPLACEMENT = (
    "id removedSerial installedSerial faultReportedAt arrivedAt replacedAt durationMinutes "
    "withinDeadline"
)
REPAIR = "id spareId serial partNumber vendor rmaNumber status sentAt"
PART = "partNumber vendor alternates { partNumber document }"


def data(answer: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in answer, answer
    found: dict[str, Any] = answer["data"][name]
    return found


def _stock(db: Database) -> int:
    """A site, a warehouse, a PSU and a unit of it, another vendor's PSU, a device with the
    PSU installed: the device's id."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01")
        factories.warehouse(session, "WH-SY")
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "HPE-800W", vendor="HPE", specs={"watts": 800, "input": "AC"})
        factories.spare(session, "NEW-1")
        device = factories.device(
            session, "SRV-1", site_code="SY-01", components=[("PSU1", "PSU-750W", "OLD-1")]
        )
    assert device.id is not None
    return device.id


def _record(gql: GQL, admin: dict[str, str], reservation_id: str, device_id: int) -> None:
    reported = (utcnow() - timedelta(hours=2)).astimezone(SHANGHAI)
    recorded = data(
        gql(
            "mutation ($input: ReplacementInput!) { recordReplacement(input: $input) "
            f"{{ {REPLACEMENT} }} }}",
            admin,
            input={
                "reservationId": reservation_id,
                "deviceId": str(device_id),
                "removedSerial": "OLD-1",
                "reason": "电源故障",
                "faultLevel": "major",
                "faultImpact": "单电源运行",
                "faultReportedAt": reported.isoformat(),
                "arrivedAt": (reported + timedelta(minutes=40)).isoformat(),
                "replacedAt": (reported + timedelta(minutes=70)).isoformat(),
                "customerConfirmedBy": "客户",
                "engineerConfirmedBy": "工程师",
            },
        ),
        "recordReplacement",
    )
    query = f'{{ replacement(id: "{recorded["id"]}") {{ {REPLACEMENT} }} }}'
    assert recorded == data(gql(query, admin), "replacement")
    assert recorded["faultReportedAt"].endswith(("Z", "+00:00"))


def test_every_graphql_create_answers_as_its_query(
    db: Database, client: TestClient, gql: GQL, admin: dict[str, str]
) -> None:
    device_id = _stock(db)
    part = data(
        gql(
            'mutation { addPartAlternate(partNumber: "PSU-750W", '
            f'alternatePartNumber: "HPE-800W", document: "notice") {{ {PART} }} }}',
            admin,
        ),
        "addPartAlternate",
    )
    assert part == data(gql(f'{{ part(partNumber: "PSU-750W") {{ {PART} }} }}', admin), "part")
    reserved = data(
        gql(
            'mutation { reserve(idempotencyKey: "k", input: {siteCode: "SY-01", '
            f'partNumber: "PSU-750W", ticket: "T", engineer: "王工", deviceId: "{device_id}"}}) '
            f"{{ {RESERVATION} }} }}",
            admin,
        ),
        "reserve",
    )
    query = f'{{ reservation(id: "{reserved["id"]}") {{ {RESERVATION} }} }}'
    assert reserved == data(gql(query, admin), "reservation")
    _record(gql, admin, reserved["id"], device_id)
    faulty = data(gql("{ spares(status: FAULTY) { items { id } } }", admin), "spares")
    sent = data(
        gql(
            f'mutation {{ sendToRepair(spareId: "{faulty["items"][0]["id"]}", vendor: "Dell", '
            f'rmaNumber: "RMA-1") {{ {REPAIR} }} }}',
            admin,
        ),
        "sendToRepair",
    )
    assert sent == data(gql(f'{{ repair(id: "{sent["id"]}") {{ {REPAIR} }} }}', admin), "repair")
