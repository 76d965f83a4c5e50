"""The fault record through GraphQL: the same PATCH rules and history as REST."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from inventory_service.platform.db import Database
from tests import factories
from tests.api.graphql.conftest import GQL
from tests.conftest import TokenFactory

UPDATE = (
    "mutation ($id: ID!, $input: ReplacementPatchInput!) { updateReplacement(id: $id, "
    "input: $input) { id cause process customerEngineer arrivalMinutes responseLimitMinutes "
    "arrivedWithinResponse spareOnSiteWithinDeadline } }"
)


def test_update_replacement_matches_rest_and_keeps_history(
    db: Database, client: TestClient, gql: GQL, headers_for: TokenFactory
) -> None:
    with db.transaction() as session:
        row = factories.replacement_row(
            session,
            "A",
            replaced_at=datetime(2026, 10, 15, 4, 0, tzinfo=UTC),
            duration_minutes=90,
            arrival_minutes=30,
            process="先远程后到场",
        )
    rid = str(row.id)
    engineer = headers_for("engineer")
    done = gql(UPDATE, engineer, id=rid, input={"cause": "老化", "process": None})
    assert "errors" not in done, done
    got = done["data"]["updateReplacement"]
    assert (got["cause"], got["process"]) == ("老化", None)
    assert (got["arrivalMinutes"], got["responseLimitMinutes"]) == (30, 30)
    assert (got["arrivedWithinResponse"], got["spareOnSiteWithinDeadline"]) == (True, True)
    rest = client.get(f"/api/v1/replacements/{rid}", headers=engineer).json()
    assert (rest["cause"], rest["process"]) == ("老化", None)
    history = gql(
        "query ($id: ID!) { replacementEdits(id: $id) { items { actor changes "
        "{ field before after } } nextCursor } }",
        engineer,
        id=rid,
    )
    changes = history["data"]["replacementEdits"]["items"][0]["changes"]
    assert {"field": "process", "before": "先远程后到场", "after": None} in changes
    rest_items = client.get(f"/api/v1/replacements/{rid}/edits", headers=engineer).json()["items"]
    assert [e["changes"] for e in rest_items] == [
        e["changes"] for e in history["data"]["replacementEdits"]["items"]
    ]


def test_update_replacement_refuses_bad_input_and_other_roles(
    db: Database, gql: GQL, headers_for: TokenFactory
) -> None:
    with db.transaction() as session:
        row = factories.replacement_row(
            session,
            "A",
            replaced_at=datetime(2026, 10, 15, 4, 0, tzinfo=UTC),
            duration_minutes=90,
        )
    rid = str(row.id)
    engineer = headers_for("engineer")
    long = gql(UPDATE, engineer, id=rid, input={"cause": "x" * 4001})
    assert long["errors"][0]["extensions"]["code"] == "validation_error"
    assert long["errors"][0]["extensions"]["details"][0]["field"] == "cause"
    nul = gql(UPDATE, engineer, id=rid, input={"solution": "a\x00"})
    # NUL is refused before the resolver runs, naming where it was (variables.input.solution).
    assert nul["errors"][0]["extensions"]["code"] == "validation_error"
    assert nul["errors"][0]["extensions"]["details"][0]["field"].endswith("solution")
    own = headers_for("customer", customer="LNXX")
    refused = gql(UPDATE, own, id=rid, input={"cause": "x"})
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"
    unknown = gql(UPDATE, engineer, id="999999", input={"cause": "x"})
    assert unknown["errors"][0]["extensions"]["code"] == "not_found"
    edits = gql("query ($id: ID!) { replacementEdits(id: $id) { items { id } } }", own, id=rid)
    assert edits["errors"][0]["extensions"]["code"] == "forbidden"
