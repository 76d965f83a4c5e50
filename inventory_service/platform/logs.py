"""Structured logging: one JSON object per line (python-json-logger), with the request id of the
current request.

Rules: log records never carry tokens or request bodies; the request id travels in a context
variable so that service code logs it without passing it around; fields given with `extra=`
become keys of the line; a traceback goes to the log (`exc`), never to a client.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id of the request being served (if any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def json_formatter() -> logging.Formatter:
    """`{"ts", "level", "logger", "msg", ...extra fields, "exc"?}` per line."""
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger", "message": "msg", "exc_info": "exc"},
        timestamp="ts",
        json_ensure_ascii=False,
    )


def configure(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Route the service's and uvicorn's logs to stderr in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if json_lines:
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our own middleware writes one access line per request, with the route and request id.
    logging.getLogger("uvicorn.access").disabled = True
