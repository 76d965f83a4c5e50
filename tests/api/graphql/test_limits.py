"""The limits that keep /graphql safe: depth, tokens, aliases, checked before any resolver."""

from __future__ import annotations

import pytest

from inventory_service.warehouse import catalogue
from tests.api.graphql.conftest import GQL


def nested(levels: int) -> str:
    """A query whose deepest path has `levels` fields (parts → items → substitutes…)."""
    inner = "partNumber"
    for _ in range(levels - 3):
        inner = f"substitutes {{ {inner} }}"
    return f"{{ parts {{ items {{ {inner} }} }} }}"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every call of the parts resolver's service."""
    seen: list[str] = []
    real = catalogue.list_parts

    def spy(*args: object, **kwargs: object) -> object:
        seen.append("list_parts")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(catalogue, "list_parts", spy)
    return seen


def test_ten_levels_run(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    answer = gql(nested(10), admin)
    assert "errors" not in answer
    assert answer["data"] == {"parts": {"items": []}}
    assert calls == ["list_parts"]


def test_eleven_levels_are_rejected_before_any_resolver_runs(
    gql: GQL, admin: dict[str, str], calls: list[str]
) -> None:
    answer = gql(nested(11), admin)
    assert answer["data"] is None
    assert "exceeds maximum operation depth" in answer["errors"][0]["message"]
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert calls == []


def test_too_many_aliases_are_rejected(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    aliased = " ".join(f"p{n}: parts {{ items {{ id }} }}" for n in range(31))
    answer = gql(f"{{ {aliased} }}", admin)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert calls == []


def test_too_many_tokens_are_rejected(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    fields = " ".join(["id"] * 4001)
    answer = gql(f"{{ parts {{ items {{ {fields} }} }} }}", admin)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "validation_error"
    assert calls == []


def test_thirty_aliases_run(gql: GQL, admin: dict[str, str], calls: list[str]) -> None:
    aliased = " ".join(f"p{n}: parts {{ items {{ id }} }}" for n in range(30))
    answer = gql(f"{{ {aliased} }}", admin)
    assert "errors" not in answer
    assert len(calls) == 30
