"""A small GraphQL client for the tests."""

from __future__ import annotations

from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient


class GQL(Protocol):
    def __call__(self, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]: ...


@pytest.fixture
def gql(client: TestClient) -> GQL:
    """POST a query to /graphql and return the decoded answer."""

    def run(query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
        response = client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run
