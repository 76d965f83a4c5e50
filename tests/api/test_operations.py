"""Health, readiness, metrics, request ids and masked errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from inventory_service.platform import logs
from inventory_service.platform.db import Database


def test_healthz_needs_no_token(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_at_the_head_revision(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(database=db)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["schema_revision"] is None


def test_request_id_is_returned_and_an_incoming_one_kept(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "dispatch-42"})
    assert kept.headers["X-Request-ID"] == "dispatch-42"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\n"})
    assert replaced.headers["X-Request-ID"] != "bad id\n"


def test_metrics_count_requests_by_route_template(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.get("/api/v1/customers/NOPE", headers=admin)
    body = client.get("/metrics").text
    assert 'route="/api/v1/customers/{code}"' in body
    assert 'status="404"' in body
    assert "inventory_http_request_duration_seconds_bucket" in body


def test_invented_methods_share_one_metrics_label(client: TestClient) -> None:
    """A client can send any token as a method; the metrics must not grow with each one."""
    for n in range(40):
        client.request(f"BOGUS{n}", "/healthz")
    body = client.get("/metrics").text
    assert "BOGUS" not in body
    assert 'method="OTHER"' in body


def test_an_unexpected_error_is_masked_and_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(database=db)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals of customer LNXX")

    with (
        caplog.at_level(logging.INFO, logger="inventory"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        response = client.get("/boom")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    request_id = response.headers["X-Request-ID"]
    assert request_id in error["message"]
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.name == "inventory.api"
    assert logged.exc_info is not None
    assert str(logged.exc_info[1]) == "secret internals of customer LNXX"
    assert (logged.__dict__["path"], logged.__dict__["request_id"]) == ("/boom", request_id)
    assert logs.request_id_var.get() is None  # the context was reset after the request
    access = [r for r in caplog.records if r.name == "inventory.access"]
    assert [(r.__dict__["route"], r.__dict__["status"]) for r in access] == [("/boom", 500)]


def test_unknown_route_is_404_in_the_contract_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
