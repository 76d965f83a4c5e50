"""Bearer tokens, roles and the error shape of refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from inventory_service.platform.db import Database
from models import ApiToken
from tests.conftest import TokenFactory


def test_no_token_is_401_in_the_contract_shape(client: TestClient) -> None:
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_wrong_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/customers", headers={"Authorization": "Bearer inv_nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_every_role_reads_and_only_admin_creates_customers(
    client: TestClient, headers_for: TokenFactory, admin: dict[str, str]
) -> None:
    client.post("/api/v1/customers", json={"code": "C1", "name": "One"}, headers=admin)
    for role in ("warehouse", "dispatcher", "engineer", "reporter"):
        headers = headers_for(role)
        assert client.get("/api/v1/customers", headers=headers).status_code == 200
        refused = client.post("/api/v1/customers", json={"code": "X", "name": "X"}, headers=headers)
        assert refused.status_code == 403, role
        assert refused.json()["error"]["code"] == "forbidden"
    customer = headers_for("customer", customer="C1")
    assert (
        client.post(
            "/api/v1/customers", json={"code": "X", "name": "X"}, headers=customer
        ).status_code
        == 403
    )
    listed = client.get("/api/v1/customers", headers=admin).json()["items"]
    assert [c["code"] for c in listed] == ["C1"]


def test_tokens_are_stored_hashed_and_revocation_is_final(
    client: TestClient, db: Database, admin: dict[str, str]
) -> None:
    from inventory_service.platform import auth

    with db.transaction() as session:
        issued = auth.create_token(session, role="engineer", name="field-1")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    with db.transaction() as session:
        stored = session.exec(select(ApiToken.token_hash)).all()
        assert issued.token not in stored
        assert auth.hash_token(issued.token) in stored
        assert issued.record.id is not None
        auth.revoke_token(session, token_id=issued.record.id)
    assert client.get("/api/v1/customers", headers=headers).status_code == 401


def test_a_recently_verified_token_is_answered_from_the_cache(
    client: TestClient, db: Database
) -> None:
    from inventory_service.platform import auth
    from inventory_service.platform.settings import Settings, get_settings, replace_settings

    with db.transaction() as session:
        issued = auth.create_token(session, role="reporter", name="cached")
    old = replace_settings(Settings(**(get_settings().model_dump() | {"auth_cache_seconds": 60})))
    try:
        assert auth.cached_caller(issued.token) is None
        headers = {"Authorization": f"Bearer {issued.token}"}
        assert client.get("/api/v1/customers", headers=headers).status_code == 200
        cached = auth.cached_caller(issued.token)
        assert cached is not None
        assert cached.name == "cached"
        assert auth.cached_caller("inv_unknown") is None
        with db.transaction() as session:
            assert issued.record.id is not None
            auth.revoke_token(session, token_id=issued.record.id)  # clears the cache
        assert auth.cached_caller(issued.token) is None
        assert client.get("/api/v1/customers", headers=headers).status_code == 401
    finally:
        replace_settings(old)
