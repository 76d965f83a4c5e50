"""A live server in development mode for the GraphiQL page (off in test and production)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from api.app import create_app
from inventory_service.platform.db import Database
from inventory_service.platform.settings import get_settings
from tests.conftest import LiveServer


@pytest.fixture
def graphiql_server(committed_db: Database) -> Iterator[LiveServer]:
    import uvicorn

    cfg = get_settings().model_copy(update={"environment": "development"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(database=committed_db, cfg=cfg),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", committed_db)
    server.should_exit = True
    thread.join(timeout=10)
