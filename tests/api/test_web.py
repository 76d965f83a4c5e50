"""The pages for people (/docs, /redoc, GraphiQL) load every asset from the service itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from inventory_service.platform.db import Database
from inventory_service.platform.settings import Settings, get_settings

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|(?:_url|Url)["']?\s*:\s*["']([^"']+)["']""")


def _references(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


@pytest.fixture
def dev_client(db: Database) -> Iterator[TestClient]:
    """An app in development mode (GraphiQL is off in test and production)."""
    cfg = get_settings().model_copy(update={"environment": "development"})
    assert isinstance(cfg, Settings)
    with TestClient(create_app(database=db, cfg=cfg)) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/graphql"])
def test_page_loads_only_local_assets(dev_client: TestClient, page: str) -> None:
    response = dev_client.get(page, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    html = response.text
    assert "http://" not in html
    assert "https://" not in html
    references = [r for r in _references(html) if not r.startswith(("data:", "#"))]
    assert any(r.endswith(".js") for r in references), references
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for ref in references:
        assert ref.startswith("/"), f"{page} refers outside the service: {ref}"
        if ref.startswith("/assets/"):
            asset = dev_client.get(ref)
            assert asset.status_code == 200, ref
            assert len(asset.content) > 100, ref


def test_graphiql_page_needs_no_token_but_queries_do(dev_client: TestClient) -> None:
    page = dev_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Headers" in page.text
    assert "Authorization" in page.text
    assert "Bearer" in page.text
    query = dev_client.post("/graphql", json={"query": "{ warehouses { items { code } } }"})
    assert query.status_code == 401
    assert query.json()["error"]["code"] == "unauthorized"


def test_graphiql_is_off_outside_development(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code != 200
    assert "GraphiQL" not in page.text


def test_openapi_still_documents_the_api(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "Inventory service"
