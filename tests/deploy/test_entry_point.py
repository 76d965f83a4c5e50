"""`inventory-service serve`, the image's entry point: workers and shutdown grace from the env."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from inventory_service import cli
from inventory_service.platform.db import set_database
from inventory_service.platform.settings import Settings, replace_settings
from tests.deploy.service import ENTRY_POINT


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(cli.migrations, "upgrade", lambda url: None)
    old_db = set_database(None)
    yield calls
    set_database(old_db)


def _serve(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> None:
    """Run `serve` with settings read from these environment variables, as in the pod."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    old = replace_settings(Settings())
    try:
        result = CliRunner().invoke(cli.app, ["serve", *args])
    finally:
        replace_settings(old)
    assert result.exit_code == 0, result.output


def test_serve_takes_workers_and_grace_from_the_settings(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"INVENTORY_WORKERS": "3", "INVENTORY_SHUTDOWN_GRACE_SECONDS": "25"}
    _serve(monkeypatch, env, "--host", "0.0.0.0")
    (call,) = uvicorn_calls
    assert call["workers"] == 3
    assert call["timeout_graceful_shutdown"] == 25
    assert call["timeout_worker_healthcheck"] >= 30  # a busy node's imports outlast 5 s
    assert call["host"] == "0.0.0.0"


def test_the_workers_flag_wins_over_the_setting(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(monkeypatch, {"INVENTORY_WORKERS": "3"}, "--workers", "2")
    assert uvicorn_calls[0]["workers"] == 2


def test_the_workers_setting_refuses_zero() -> None:
    with pytest.raises(ValueError, match="workers"):
        Settings(workers=0)


def test_the_installed_console_script_runs() -> None:
    done = subprocess.run(
        [str(ENTRY_POINT), "serve", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--workers" in done.stdout
    assert "INVENTORY_WORKERS" in done.stdout
