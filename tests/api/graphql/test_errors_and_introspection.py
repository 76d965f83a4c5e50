"""GraphQL errors are logged at the level they deserve, and introspection follows the setting
(off in production by default)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from inventory_service.assets import devices
from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings
from tests.api.graphql.conftest import GQL

INTROSPECTION = "{ __schema { queryType { name } } }"


def graphql_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in ("inventory.graphql", "strawberry.execution")]


def test_expected_errors_are_info_lines_without_traceback(
    gql: GQL, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        gql('{ device(id: "x") { serial } }', admin)  # validation_error (not an id)
        gql("{ nope }", admin)  # a validation error of the document
        gql('mutation { cancelReservation(id: "999999") { id } }', admin)  # not_found
    records = graphql_records(caplog)
    assert len(records) == 3
    assert {r.levelno for r in records} == {logging.INFO}
    assert all(r.exc_info is None for r in records)
    assert [r.__dict__["code"] for r in records] == [
        "validation_error",
        "validation_error",
        "not_found",
    ]


def test_a_refused_cost_is_a_warning(
    gql: GQL, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        gql(
            "{ devices(limit: 500) { items { components { part { substitutes { id } } } } } }",
            admin,
        )
    (record,) = graphql_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.__dict__["code"] == "query_too_complex"
    assert record.exc_info is None


def test_an_unexpected_error_is_masked_and_one_error_with_traceback(
    gql: GQL,
    admin: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(devices, "list_", broken)
    with caplog.at_level(logging.INFO):
        answer = gql("{ devices { items { serial } } }", admin)
    assert answer["errors"][0]["extensions"]["code"] == "internal_error"
    assert "secret" not in str(answer)
    (record,) = graphql_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "secret internals"


@pytest.mark.parametrize(
    ("environment", "setting", "allowed"),
    [
        ("production", None, False),
        ("production", True, True),
        ("development", None, True),
        ("test", False, False),
    ],
)
def test_introspection_follows_the_environment_and_the_setting(
    db: Database, admin: dict[str, str], environment: str, setting: bool | None, allowed: bool
) -> None:
    cfg = get_settings().model_copy(
        update={"environment": environment, "graphql_introspection": setting}
    )
    with TestClient(create_app(database=db, cfg=cfg)) as client:
        answer = client.post("/graphql", json={"query": INTROSPECTION}, headers=admin).json()
    if allowed:
        assert answer["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    else:
        assert answer["data"] is None
        assert "introspection" in answer["errors"][0]["message"].lower()


def test_an_error_quotes_only_an_excerpt_of_the_document(gql: GQL, admin: dict[str, str]) -> None:
    long_name = "x" * 100_000
    answer = gql(f"{{ {long_name} }}", admin)
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert error["message"].startswith("Cannot query field 'xxx")
    assert len(error["message"]) <= 300
