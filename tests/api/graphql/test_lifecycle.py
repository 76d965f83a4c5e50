"""Availability, coverage, reservations, replacements, loans and the report through GraphQL:
the same answers as REST, the same roles and the same customer scope."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.api.graphql.conftest import GQL, fields_of, normalise
from tests.conftest import TokenFactory

API = "/api/v1"


def dropnull(value: Any) -> Any:
    """Optional keys: REST leaves them out (`rejected`), GraphQL answers null."""
    if isinstance(value, dict):
        return {k: dropnull(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [dropnull(v) for v in value]
    return value


def rest(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    answer = client.get(f"{API}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def stocked(db: Database) -> Database:
    """A Shenyang site with a PSU installed; units near, far, a substitute and a fake."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.customer(session, "LNGRID")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.site(session, "DL-01", customer_code="LNGRID", lat=38.914, lon=121.6147)
        factories.part(session, "PSU-750W", specs={"watts": 750, "input": "AC"})
        factories.part(session, "PSU-1100W", specs={"watts": 1100, "input": "AC"})
        factories.part(session, "PSU-495W", specs={"watts": 495, "input": "AC"})
        factories.warehouse(session, "WH-SY")
        factories.warehouse(session, "WH-DL", lat=38.914, lon=121.6147, kind="depot")
        factories.spare(session, "NEAR")
        factories.spare(session, "SUB", part_number="PSU-1100W")
        factories.spare(session, "FAR", warehouse_code="WH-DL")
        factories.spare(session, "FAKE", genuine=False)
        factories.device(session, "DEV-1", components=[("PSU1", "PSU-750W", "C-1")])
        factories.device(session, "STANDBY-1", status="standby")
    return db


AVAILABILITY_FIELDS = (
    "siteCode partNumber deadlineMinutes reachable candidateCount rejectedCounts "
    "best { spareId serial partNumber substitute warehouseCode distanceKm bandMinutes etaMinutes "
    "firmwareMatches } "
    "candidates { spareId serial partNumber substitute warehouseCode distanceKm bandMinutes "
    "etaMinutes firmwareMatches } "
    "rejected { spareId partNumber warehouseCode reason distanceKm etaMinutes }"
)


@pytest.mark.usefixtures("stocked")
def test_availability_matches_rest(client: TestClient, gql: GQL, admin: dict[str, str]) -> None:
    for deadline in (240, 60):
        expected = rest(
            client,
            f"/availability?site_code=SY-01&part_number=PSU-750W&deadline_minutes={deadline}",
            admin,
        )
        answer = gql(
            'query ($d: Int) { availability(siteCode: "SY-01", partNumber: "PSU-750W", '
            f"deadlineMinutes: $d) {{ {AVAILABILITY_FIELDS} }} }}",
            admin,
            d=deadline,
        )
        assert "errors" not in answer, answer
        got = normalise(answer["data"]["availability"])
        assert dropnull(got) == dropnull(normalise(expected))
        assert got["best"]["firmwareMatches"] is None  # asked by site and part
    assert expected["rejected"], "the far unit is rejected at 60 minutes"


def test_availability_names_another_vendors_part_as_rest_does(
    stocked: Database, client: TestClient, gql: GQL, admin: dict[str, str]
) -> None:
    with stocked.transaction() as session:
        factories.part(session, "HPE-1600W", vendor="HPE", specs={"watts": 1600, "input": "AC"})
        hpe = factories.spare(session, "HPE-1", part_number="HPE-1600W")
    expected = rest(client, "/availability?site_code=SY-01&part_number=PSU-750W", admin)
    answer = gql(
        '{ availability(siteCode: "SY-01", partNumber: "PSU-750W") '
        f"{{ {AVAILABILITY_FIELDS} }} }}",
        admin,
    )
    assert "errors" not in answer, answer
    assert dropnull(normalise(answer["data"]["availability"])) == dropnull(normalise(expected))
    why = {r["spareId"]: r["reason"] for r in answer["data"]["availability"]["rejected"]}
    assert why[str(hpe.id)] == "other_vendor"
    assert "HPE-1" not in {c["serial"] for c in answer["data"]["availability"]["candidates"]}
    assert (
        json.loads(json.dumps(answer["data"]["availability"]["rejectedCounts"]))["other_vendor"]
        == 1
    )


@pytest.mark.usefixtures("stocked")
def test_availability_scope_and_errors(
    gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    other = headers_for("customer", customer="LNGRID")
    hidden = gql('{ availability(siteCode: "SY-01", partNumber: "PSU-750W") { reachable } }', other)
    assert hidden["errors"][0]["extensions"]["code"] == "not_found"
    own = headers_for("customer", customer="LNXX")
    mine = gql('{ availability(siteCode: "SY-01", partNumber: "PSU-750W") { reachable } }', own)
    assert mine["data"]["availability"]["reachable"] is True
    # A part outside its spares scope (not installed, not a substitute) is not found.
    factories_free = '{ availability(siteCode: "SY-01", partNumber: "PSU-495W") { reachable } }'
    assert gql(factories_free, own)["errors"][0]["extensions"]["code"] == "not_found"
    covered = gql("{ coverage { customerCode } }", own)["data"]["coverage"]
    assert covered == {"customerCode": "LNXX"}
    bad = gql('{ availability(siteCode: "SY-01") { reachable } }', admin)
    assert bad["errors"][0]["extensions"]["code"] == "validation_error"
    assert bad["errors"][0]["extensions"]["details"][0]["field"] == "part_number"


@pytest.mark.usefixtures("stocked")
def test_coverage_matches_rest(client: TestClient, gql: GQL, admin: dict[str, str]) -> None:
    expected = rest(client, "/coverage", admin)
    row = "siteCode customerCode partNumber installed reachable bestEtaMinutes bestWarehouseCode"
    fields = (
        f"customerCode deadlineMinutes pairs covered shareCovered rows {{ {row} }} "
        f"gaps {{ {row} }} stockingPlan {{ {fields_of(expected['stocking_plan'][0])} }} "
        "uncoverable { siteCode partNumber }"
        if expected["stocking_plan"]
        else f"customerCode deadlineMinutes pairs covered shareCovered rows {{ {row} }} "
        f"gaps {{ {row} }} uncoverable {{ siteCode partNumber }}"
    )
    answer = gql(f"{{ coverage {{ {fields} }} }}", admin)
    assert "errors" not in answer, answer
    got = normalise(answer["data"]["coverage"])
    assert got == {k: v for k, v in normalise(expected).items() if k in got}
    assert expected["rows"], "the installed PSU makes a site × part pair"


@pytest.mark.usefixtures("stocked")
def test_reservations_and_loans_match_rest(
    client: TestClient, gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    made = client.post(
        f"{API}/reservations",
        json={"site_code": "SY-01", "part_number": "PSU-750W", "ticket": "T-1", "engineer": "王工"},
        headers=admin | {"Idempotency-Key": "k-1"},
    )
    assert made.status_code == 201, made.text
    reservation = made.json()
    page = rest(client, "/reservations", admin)
    answer = gql(f"{{ reservations {{ items {{ {fields_of(reservation)} }} nextCursor }} }}", admin)
    assert normalise(answer["data"]["reservations"]) == normalise(page)
    one = gql(f'{{ reservation(id: "{reservation["id"]}") {{ {fields_of(reservation)} }} }}', admin)
    assert normalise(one["data"]["reservation"]) == normalise(reservation)

    devices = {d["serial"]: d["id"] for d in rest(client, "/devices", admin)["items"]}
    lent = client.post(
        f"{API}/loans",
        json={
            "standby_device_id": devices["STANDBY-1"],
            "site_code": "SY-01",
            "replaces_device_id": devices["DEV-1"],
            "ticket": "T-2",
        },
        headers=admin,
    )
    assert lent.status_code == 201, lent.text
    loans = rest(client, "/loans", admin)
    answer = gql(f"{{ loans {{ items {{ {fields_of(lent.json())} }} nextCursor }} }}", admin)
    assert normalise(answer["data"]["loans"]) == normalise(loans)

    own = headers_for("customer", customer="LNXX")
    refused = gql("{ reservations { items { id } } }", own)
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"
    # The customer of the loan's site reads it (as on REST); another customer does not.
    mine = gql(f"{{ loans {{ items {{ {fields_of(lent.json())} }} nextCursor }} }}", own)
    assert normalise(mine["data"]["loans"]) == normalise(rest(client, "/loans", own))
    assert [x["id"] for x in mine["data"]["loans"]["items"]] == [str(lent.json()["id"])]
    one = gql(f'{{ loan(id: "{lent.json()["id"]}") {{ siteCode }} }}', own)
    assert one["data"]["loan"] == {"siteCode": "SY-01"}
    grid = headers_for("customer", customer="LNGRID")
    assert gql("{ loans { items { id } } }", grid)["data"]["loans"]["items"] == []
    assert gql(f'{{ loan(id: "{lent.json()["id"]}") {{ id }} }}', grid)["data"]["loan"] is None


def test_a_lent_standby_is_seen_where_it_stands_through_graphql(
    stocked: Database,
    client: TestClient,
    gql: GQL,
    admin: dict[str, str],
    headers_for: TokenFactory,
) -> None:
    with stocked.transaction() as session:  # a standby of the pool, at another customer's site
        pool = factories.device(session, "STANDBY-DL", site_code="DL-01", status="standby")
    devices = {d["serial"]: d["id"] for d in rest(client, "/devices", admin)["items"]}
    own, grid = headers_for("customer", customer="LNXX"), headers_for("customer", customer="LNGRID")
    seen = f'{{ device(id: "{pool.id}") {{ status siteCode history {{ before after }} }} }}'
    assert gql(seen, own)["data"]["device"] is None
    body = {"standby_device_id": pool.id, "site_code": "SY-01", "ticket": "T-3"}
    lent = client.post(
        f"{API}/loans", json=body | {"replaces_device_id": devices["DEV-1"]}, headers=admin
    )
    assert lent.status_code == 201, lent.text
    standing = gql(seen, own)["data"]["device"]
    assert (standing["status"], standing["siteCode"]) == ("ON_LOAN", "SY-01")
    assert (standing["history"][-1]["before"], standing["history"][-1]["after"]) == (
        {"status": "standby", "site_code": "DL-01"},
        {"status": "on_loan", "site_code": "SY-01"},
    )
    assert gql(seen, grid)["data"]["device"] is None  # it no longer stands at LNGRID's site
    assert client.post(f"{API}/loans/{lent.json()['id']}/return", headers=admin).status_code == 200
    assert gql(seen, own)["data"]["device"] is None
    home = gql(seen, grid)["data"]["device"]
    assert (home["status"], home["siteCode"]) == ("STANDBY", "DL-01")


def test_replacements_and_report_match_rest(
    db: Database, client: TestClient, gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    when = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
    with db.transaction() as session:
        factories.replacement_row(session, "A", replaced_at=when, duration_minutes=90)
        factories.replacement_row(
            session,
            "B",
            replaced_at=when + timedelta(days=1),
            duration_minutes=300,
            site_code="DL-01",
            customer_code="LNGRID",
        )
    page = rest(client, "/replacements", admin)
    answer = gql(
        f"{{ replacements {{ items {{ {fields_of(page['items'][0])} }} nextCursor }} }}", admin
    )
    assert normalise(answer["data"]["replacements"]) == normalise(page)

    report = rest(client, "/reports/replacements?quarter=2026-Q4", admin)
    assert report["failure_trend"][-1]["quarter"] == "2026-Q4"
    got = gql(f'{{ replacementReport(quarter: "2026-Q4") {{ {fields_of(report)} }} }}', admin)
    assert "errors" not in got, got
    assert normalise(got["data"]["replacementReport"]) == normalise(report)

    own = headers_for("customer", customer="LNXX")
    mine = gql('{ replacementReport(month: "2026-10") { rows { site } summary { count } } }', own)
    assert mine["data"]["replacementReport"] == {
        "rows": [{"site": "SY-01"}],
        "summary": {"count": 1},
    }
    listed = gql("{ replacements { items { id } } }", own)
    assert len(listed["data"]["replacements"]["items"]) == 1
    refused = gql('{ replacementReport(month: "2026-10") { month } }', headers_for("engineer"))
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"
    bad = gql('{ replacementReport(month: "2026-13") { month } }', admin)
    assert bad["errors"][0]["extensions"]["code"] == "validation_error"


RESERVE = (
    "mutation ($key: String!, $ticket: String!) { reserve(idempotencyKey: $key, input: "
    '{siteCode: "SY-01", partNumber: "PSU-750W", ticket: $ticket, engineer: "王工"}) '
    "{ id status serial warehouseCode etaMinutes } }"
)


@pytest.mark.usefixtures("stocked")
def test_the_reserve_mutation_is_wired_and_idempotent(
    client: TestClient, gql: GQL, headers_for: TokenFactory
) -> None:
    dispatcher = headers_for("dispatcher")
    first = gql(RESERVE, dispatcher, key="k-1", ticket="T-1")
    assert "errors" not in first, first
    assert first["data"]["reserve"]["serial"] == "NEAR"
    assert gql(RESERVE, dispatcher, key="k-1", ticket="T-1") == first
    reused = gql(RESERVE, dispatcher, key="k-1", ticket="T-2")
    assert reused["errors"][0]["extensions"]["code"] == "idempotency_key_reused"
    stored = rest(client, f"/reservations/{first['data']['reserve']['id']}", dispatcher)
    assert stored["status"] == "active"
    refused = gql(RESERVE, headers_for("customer", customer="LNXX"), key="k-2", ticket="T-3")
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"


FIT = (
    "mutation ($key: String!, $device: ID!, $site: String!, $part: String!) { "
    "reserve(idempotencyKey: $key, input: {siteCode: $site, partNumber: $part, "
    'ticket: "T-9", engineer: "王工", deviceId: $device}) { id partNumber } }'
)


def test_the_reserve_mutation_checks_the_fit_to_the_device(
    stocked: Database, client: TestClient, gql: GQL, admin: dict[str, str]
) -> None:
    with stocked.transaction() as session:
        factories.part(session, "HDD-1.2T", category="server_hdd", specs={"capacity_gb": 1200})
        factories.spare(session, "DISK", part_number="HDD-1.2T")
    devices = {d["serial"]: d["id"] for d in rest(client, "/devices", admin)["items"]}
    device = str(devices["DEV-1"])
    for key, site, part, field in (
        ("f1", "DL-01", "PSU-750W", "site_code"),
        ("f2", "SY-01", "HDD-1.2T", "part_number"),
    ):
        refused = gql(FIT, admin, key=key, device=device, site=site, part=part)
        assert refused["errors"][0]["extensions"]["code"] == "validation_error"
        assert refused["errors"][0]["extensions"]["details"][0]["field"] == field
    fits = gql(FIT, admin, key="f3", device=device, site="SY-01", part="PSU-750W")
    assert fits["data"]["reserve"]["partNumber"] == "PSU-750W"


def test_availability_by_device_shows_the_firmware_verdict(
    stocked: Database, client: TestClient, gql: GQL, admin: dict[str, str]
) -> None:
    devices = {d["serial"]: d["id"] for d in rest(client, "/devices", admin)["items"]}
    client.patch(f"{API}/devices/{devices['DEV-1']}", json={"firmware_version": "V2"},
                 headers=admin)  # fmt: skip
    spares = {s["serial"]: s["id"] for s in rest(client, "/spares", admin)["items"]}
    client.patch(f"{API}/spares/{spares['SUB']}", json={"firmware_version": "V2"}, headers=admin)
    expected = rest(client, f"/availability?device_id={devices['DEV-1']}&slot=PSU1", admin)
    answer = gql(
        f'{{ availability(deviceId: "{devices["DEV-1"]}", slot: "PSU1") '
        "{ best { serial firmwareMatches } candidates { serial firmwareMatches } } }",
        admin,
    )["data"]["availability"]
    # The substitute carries the device's firmware: it comes first at the same ETA.
    assert answer["best"] == {"serial": "SUB", "firmwareMatches": True}
    assert answer["candidates"] == [
        {"serial": c["serial"], "firmwareMatches": c["firmware_matches"]}
        for c in expected["candidates"]
    ]
    assert [c["serial"] for c in expected["candidates"]][:2] == ["SUB", "NEAR"]


@pytest.mark.usefixtures("stocked")
def test_a_refused_mutation_is_stored_and_replayed_as_rest_stores_it(
    db: Database, gql: GQL, headers_for: TokenFactory
) -> None:
    from sqlmodel import select

    from models.idempotency import IdempotencyRecord

    dispatcher = headers_for("dispatcher")
    unknown_site = RESERVE.replace('"SY-01"', '"NO-SUCH-SITE"')
    first = gql(unknown_site, dispatcher, key="k-422", ticket="T-9")
    code = first["errors"][0]["extensions"]["code"]
    assert code == "validation_error"
    assert gql(unknown_site, dispatcher, key="k-422", ticket="T-9") == first
    with db.session() as session:
        record = session.exec(
            select(IdempotencyRecord).where(IdempotencyRecord.key == "k-422")
        ).one()
    # The same status and error body a REST refusal stores (not a blanket 409).
    assert record.status_code == 422
    assert json.loads(record.response)["error"]["code"] == "validation_error"


LOAN_FIELDS = (
    "id standbyDeviceId replacesDeviceId siteCode ticket status dueAt lentAt returnedAt overdue"
)


def test_the_loan_mutations_answer_as_rest(
    stocked: Database,
    client: TestClient,
    gql: GQL,
    admin: dict[str, str],
    headers_for: TokenFactory,
) -> None:
    devices = {d["serial"]: d["id"] for d in rest(client, "/devices", admin)["items"]}
    dispatcher = headers_for("dispatcher")
    lend = f"""mutation($input: LoanInput!) {{ lendStandby(input: $input) {{ {LOAN_FIELDS} }} }}"""
    loan_input = {
        "standbyDeviceId": str(devices["STANDBY-1"]),
        "siteCode": "SY-01",
        "replacesDeviceId": str(devices["DEV-1"]),
        "ticket": "INC-7",
        "dueAt": "2026-12-24T08:00:00+08:00",
    }
    # Not where the replaced device stands: 422 naming site_code, and nothing lent.
    elsewhere = gql(lend, dispatcher, input=loan_input | {"siteCode": "DL-01"})
    assert elsewhere["errors"][0]["extensions"]["code"] == "validation_error"
    assert "site_code" in json.dumps(elsewhere["errors"][0]["extensions"])
    assert rest(client, f"/devices/{devices['STANDBY-1']}", admin)["status"] == "standby"
    lent = gql(lend, dispatcher, input=loan_input)
    assert "errors" not in lent, lent
    loan = lent["data"]["lendStandby"]
    as_rest = rest(client, f"/loans/{loan['id']}", dispatcher)
    assert dropnull(normalise(loan)) == dropnull(normalise(as_rest))
    assert (loan["status"], loan["siteCode"]) == ("OUT", "SY-01")
    assert rest(client, f"/devices/{devices['STANDBY-1']}", admin)["status"] == "on_loan"

    # The same refusals as REST: on loan already (409); a customer reads loans, never lends.
    again = gql(lend, dispatcher, input=loan_input)
    assert again["errors"][0]["extensions"]["code"] == "illegal_transition"
    elsewhere = gql(lend, dispatcher, input=loan_input | {"siteCode": "DL-01"})
    assert elsewhere["errors"][0]["extensions"]["code"] in {
        "validation_error",
        "illegal_transition",
    }
    customer = headers_for("customer", customer="LNXX")
    refused = gql(lend, customer, input=loan_input)
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"

    back = f'mutation {{ returnLoan(id: "{loan["id"]}") {{ {LOAN_FIELDS} }} }}'
    returned = gql(back, dispatcher)["data"]["returnLoan"]
    assert returned["status"] == "RETURNED"
    assert dropnull(normalise(returned)) == dropnull(
        normalise(rest(client, f"/loans/{loan['id']}", dispatcher))
    )
    assert rest(client, f"/devices/{devices['STANDBY-1']}", admin)["status"] == "standby"
    twice = gql(back, dispatcher)
    assert twice["errors"][0]["extensions"]["code"] == "illegal_transition"
    unknown = gql('mutation { returnLoan(id: "99999") { id } }', dispatcher)
    assert unknown["errors"][0]["extensions"]["code"] == "not_found"
