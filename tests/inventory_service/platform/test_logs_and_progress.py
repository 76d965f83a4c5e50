"""Structured log lines (python-json-logger) and progress bars (rich) on stderr."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from inventory_service.platform import logs
from inventory_service.platform.progress import Progress


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger configured as in production, writing into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("INFO", json_lines=True)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_log_line_is_one_json_object_with_the_request_id(json_log: io.StringIO) -> None:
    token = logs.request_id_var.set("req-42")
    try:
        logging.getLogger("inventory.test").warning(
            "sweep failed %s", "once", extra={"route": "/api/v1/x", "released": 3}
        )
    finally:
        logs.request_id_var.reset(token)
    logging.getLogger("inventory.test").info("outside a request")
    first, second = lines(json_log)
    assert first["level"] == "WARNING"
    assert first["logger"] == "inventory.test"
    assert first["msg"] == "sweep failed once"
    assert (first["route"], first["released"], first["request_id"]) == ("/api/v1/x", 3, "req-42")
    assert str(first["ts"]).endswith("+00:00")
    assert "request_id" not in second


def test_a_traceback_stays_inside_one_line(json_log: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("inventory.test").exception("failed")
    (line,) = lines(json_log)
    assert "RuntimeError: boom" in str(line["exc"])
    assert "Traceback" in str(line["exc"])


def test_progress_off_a_terminal_prints_a_line_per_tenth() -> None:
    stream = io.StringIO()
    with Progress("import devices", total=100, stream=stream) as bar:
        for _ in range(100):
            bar.advance()
    printed = stream.getvalue().splitlines()
    assert len(printed) == 11  # 1 % … 100 %, a line per tenth
    assert printed[-1].startswith("import devices")
    assert "100% 100/100" in printed[-1]


def test_progress_total_known_late_and_disabled_bars() -> None:
    stream = io.StringIO()
    with Progress("import devices", stream=stream) as bar:
        bar.total = 4
        bar.advance(4)
    assert "100% 4/4" in stream.getvalue()
    quiet = io.StringIO()
    with Progress("report", total=10, enabled=False, stream=quiet) as bar:
        bar.advance(10)
    assert quiet.getvalue() == ""
    assert bar.done == 10
