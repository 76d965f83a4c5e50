"""Approved alternates through GraphQL: the same rule and answers as REST."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.graphql.conftest import GQL, normalise
from tests.conftest import TokenFactory

URL = "/api/v1/parts"
PSU = {
    "part_number": "PSU-750",
    "name": "750W PSU",
    "vendor": "Dell",
    "category": "server_psu",
    "specs": {"watts": 750, "input": "AC"},
}
HPE = PSU | {"part_number": "HPE-800", "vendor": "HPE", "specs": {"watts": 800, "input": "AC"}}
PART = "partNumber vendor alternates { partNumber document } substitutes { partNumber }"
ADD = f"""mutation($p: String!, $q: String!, $d: String!) {{
  addPartAlternate(partNumber: $p, alternatePartNumber: $q, document: $d) {{ {PART} }}
}}"""
REMOVE = f"""mutation($p: String!, $q: String!) {{
  removePartAlternate(partNumber: $p, alternatePartNumber: $q) {{ {PART} }}
}}"""


def test_alternates_through_graphql_match_rest(
    client: TestClient, gql: GQL, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    client.post(URL, json=PSU, headers=admin)
    client.post(URL, json=HPE, headers=admin)
    denied = gql(ADD, headers_for("warehouse"), p="PSU-750", q="HPE-800", d="notice")
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"

    added = gql(ADD, admin, p="PSU-750", q="HPE-800", d="notice")["data"]["addPartAlternate"]
    assert added["alternates"] == [{"partNumber": "HPE-800", "document": "notice"}]
    assert [p["partNumber"] for p in added["substitutes"]] == ["PSU-750", "HPE-800"]
    rest = client.get(f"{URL}/PSU-750", headers=admin).json()
    read = gql(
        'query { part(partNumber: "PSU-750") { alternates { partNumber document } } }', admin
    )
    assert read["data"]["part"]["alternates"] == normalise(rest)["alternates"]
    listed = gql("query { parts { items { partNumber alternates { partNumber } } } }", admin)
    by_number = {p["partNumber"]: p["alternates"] for p in listed["data"]["parts"]["items"]}
    assert by_number == {"PSU-750": [{"partNumber": "HPE-800"}], "HPE-800": []}

    twice = gql(ADD, admin, p="PSU-750", q="HPE-800", d="notice")
    assert twice["errors"][0]["extensions"]["code"] == "conflict"
    itself = gql(ADD, admin, p="PSU-750", q="PSU-750", d="notice")
    assert itself["errors"][0]["extensions"]["code"] == "validation_error"
    unknown = gql(ADD, admin, p="PSU-750", q="NOPE", d="notice")
    assert unknown["errors"][0]["extensions"]["code"] == "validation_error"

    removed = gql(REMOVE, admin, p="PSU-750", q="HPE-800")["data"]["removePartAlternate"]
    assert removed["alternates"] == []
    assert [p["partNumber"] for p in removed["substitutes"]] == ["PSU-750"]
    again = gql(REMOVE, admin, p="PSU-750", q="HPE-800")
    assert again["errors"][0]["extensions"]["code"] == "not_found"
