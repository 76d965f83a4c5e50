"""The request guard and the headers: the caller is authenticated before a body is read, a body
over `INVENTORY_MAX_BODY_MB` is 413 while it streams, and every answer carries the security
headers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings
from tests import factories

API = "/api/v1"
KIB = 1024


@pytest.fixture
def small(db: Database) -> Iterator[TestClient]:
    """A client on an app whose body cap is 4 KiB."""
    cfg = get_settings().model_copy(update={"max_body_mb": 4 / 1024})
    with TestClient(create_app(database=db, cfg=cfg), raise_server_exceptions=False) as client:
        yield client


def customers(client: TestClient, admin: dict[str, str]) -> list[str]:
    found = client.get(f"{API}/customers", headers=admin).json()["items"]
    return [c["code"] for c in found]


def run_asgi(db: Database, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Any:
    """Call the app directly, recording whether it ever asked for the body."""
    app = create_app(database=db)
    asked: list[str] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        asked.append("body")
        return {"type": "http.request", "body": b"x" * 1000, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], asked


@pytest.mark.parametrize(
    "path", [f"{API}/devices/import", f"{API}/customers", "/graphql", f"{API}/devices/1"]
)
def test_an_anonymous_write_is_401_before_its_body_is_read(db: Database, path: str) -> None:
    method = "PATCH" if path.endswith("/1") else "POST"
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
    status, asked = run_asgi(db, method, path, headers)
    assert status == 401
    assert asked == []
    status, asked = run_asgi(db, method, path, [*headers, (b"authorization", b"Bearer nope")])
    assert status == 401
    assert asked == []


@pytest.mark.parametrize("path", [f"{API}/devices/import", f"{API}/customers", "/graphql"])
def test_a_body_announced_over_the_cap_is_413_before_it_is_read(
    db: Database, admin: dict[str, str], path: str
) -> None:
    over = int(get_settings().max_body_mb * 1024 * 1024) + 1
    headers = [
        (b"authorization", admin["Authorization"].encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(over).encode()),
    ]
    status, asked = run_asgi(db, "POST", path, headers)
    assert status == 413
    assert asked == []


def test_anonymous_import_is_401(client: TestClient) -> None:
    response = client.post(
        f"{API}/devices/import", files={"file": ("d.csv", b"site_code\n", "text/csv")}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_body_announced_over_the_cap_is_413_and_changes_nothing(
    small: TestClient, admin: dict[str, str]
) -> None:
    body = {"code": "LNBIG", "name": "x" * (5 * KIB)}
    response = small.post(f"{API}/customers", json=body, headers=admin)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"][0]["field"] == "body"
    assert "LNBIG" not in customers(small, admin)


def test_a_streamed_body_without_length_is_cut_off_at_the_cap(
    small: TestClient, admin: dict[str, str]
) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield b'{"code": "LNSTREAM", "name": "'
        for _ in range(64):
            sent.append(KIB)
            yield b"x" * KIB
        yield b'"}'

    response = small.post(
        f"{API}/customers",
        content=chunks(),
        headers=admin | {"content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "LNSTREAM" not in customers(small, admin)


def test_an_oversized_upload_is_413(small: TestClient, admin: dict[str, str]) -> None:
    big = b"site_code,vendor\n" + b"SY-01,Huawei\n" * 1000
    response = small.post(
        f"{API}/devices/import", files={"file": ("d.csv", big, "text/csv")}, headers=admin
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_an_oversized_graphql_document_is_413(small: TestClient, admin: dict[str, str]) -> None:
    query = "{ " + " ".join(["__typename"] * 2000) + " }"
    response = small.post("/graphql", json={"query": query}, headers=admin)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_body_under_the_cap_passes(small: TestClient, admin: dict[str, str]) -> None:
    response = small.post(f"{API}/customers", json={"code": "LNOK", "name": "ok"}, headers=admin)
    assert response.status_code == 201
    assert "LNOK" in customers(small, admin)


def test_security_headers_on_every_answer(client: TestClient, admin: dict[str, str]) -> None:
    for response in (
        client.get("/healthz"),
        client.get(f"{API}/customers", headers=admin),
        client.get(f"{API}/customers"),
        client.post("/graphql", json={"query": "{ __typename }"}, headers=admin),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"
    api = client.get(f"{API}/customers", headers=admin)
    assert api.headers["cache-control"] == "no-store"
    assert client.get(f"{API}/customers").headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/healthz").headers


def test_a_device_patch_answers_with_its_etag_and_no_store(
    db: Database, client: TestClient, admin: dict[str, str]
) -> None:
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01", customer_code="LNXX")
        device = factories.device(session, "DEV-1")
    answer = client.get(f"{API}/devices/{device.id}", headers=admin)
    assert answer.headers["etag"]
    assert answer.headers["cache-control"] == "no-store"
