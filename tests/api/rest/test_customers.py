"""Customers end to end: create, read, list, scope, validation and idempotent retries."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import TokenFactory

URL = "/api/v1/customers"


def test_create_answers_201_with_the_resource_as_get_returns_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post(URL, json={"code": "LNXX", "name": "辽宁XX"}, headers=admin)
    assert created.status_code == 201
    body = created.json()
    assert isinstance(body["id"], int)
    assert client.get(f"{URL}/LNXX", headers=admin).json() == body
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")


def test_duplicate_code_is_409_and_writes_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post(URL, json={"code": "LNXX", "name": "A"}, headers=admin)
    again = client.post(URL, json={"code": "LNXX", "name": "B"}, headers=admin)
    assert again.status_code == 409
    assert client.get(f"{URL}/LNXX", headers=admin).json()["name"] == "A"


def test_bad_body_is_422_naming_each_field(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(URL, json={"code": 5, "name": "", "extra": 1}, headers=admin)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    fields = {d["field"]: d["reason"] for d in error["details"]}
    assert "valid string" in fields["code"]  # a number is not coerced into text
    assert "name" in fields
    assert "extra" in fields
    assert client.get(URL, headers=admin).json()["items"] == []


def test_malformed_json_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        URL, content=b'{"code": ', headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body"


def test_list_paginates_with_a_cursor(client: TestClient, admin: dict[str, str]) -> None:
    for i in range(5):
        client.post(URL, json={"code": f"C{i}", "name": f"n{i}"}, headers=admin)
    first = client.get(URL, params={"limit": 2}, headers=admin).json()
    assert [c["code"] for c in first["items"]] == ["C0", "C1"]
    second = client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin)
    third = client.get(
        URL, params={"limit": 2, "cursor": second.json()["next_cursor"]}, headers=admin
    ).json()
    assert [c["code"] for c in third["items"]] == ["C4"]
    assert third["next_cursor"] is None
    assert client.get(URL, params={"limit": 501}, headers=admin).status_code == 422
    bad = client.get(URL, params={"cursor": "garbage!"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "cursor"


def test_a_customer_token_sees_only_its_own_customer(
    client: TestClient, admin: dict[str, str], headers_for: TokenFactory
) -> None:
    client.post(URL, json={"code": "A", "name": "A"}, headers=admin)
    client.post(URL, json={"code": "B", "name": "B"}, headers=admin)
    own = headers_for("customer", customer="A")
    assert [c["code"] for c in client.get(URL, headers=own).json()["items"]] == ["A"]
    assert client.get(f"{URL}/A", headers=own).status_code == 200
    hidden = client.get(f"{URL}/B", headers=own)
    assert hidden.status_code == 404  # never 403: existence does not leak
    missing = client.get(f"{URL}/NOPE", headers=own)
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
    client: TestClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "k-1"}
    first = client.post(URL, json={"code": "LNXX", "name": "A"}, headers=headers)
    again = client.post(URL, json={"name": "A", "code": "LNXX"}, headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get(URL, headers=admin).json()["items"]) == 1
    reused = client.post(URL, json={"code": "OTHER", "name": "B"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len(client.get(URL, headers=admin).json()["items"]) == 1


def test_a_refused_request_is_replayed_as_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post(URL, json={"code": "LNXX", "name": "A"}, headers=admin)
    headers = {**admin, "Idempotency-Key": "k-2"}
    first = client.post(URL, json={"code": "LNXX", "name": "A"}, headers=headers)
    again = client.post(URL, json={"code": "LNXX", "name": "A"}, headers=headers)
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
