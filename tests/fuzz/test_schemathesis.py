"""schemathesis over /openapi.json and /graphql, on both databases, with an admin token.

All checks, a deterministic run, a bounded number of examples per operation (scale it with
`INVENTORY_FUZZ_EXAMPLES`): no server error, no undocumented status or content type, no answer
off its schema, no schema-valid request refused by a rule the schema states (hooks.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inventory_service.platform.db import Database
from tests import factories
from tests.conftest import LiveServer

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
EXAMPLES = int(os.environ.get("INVENTORY_FUZZ_EXAMPLES", "3"))
# The coverage phase (every boundary of every parameter, ~3,400 requests) takes about four
# minutes on the 2-core CI machine; CI runs examples and fuzzing, a release adds coverage.
PHASES = os.environ.get("INVENTORY_FUZZ_PHASES", "examples,fuzzing")

pytestmark = [pytest.mark.slow, pytest.mark.concurrency]


def stock(db: Database) -> None:
    """A little of everything, so that schemathesis reaches past the 404s."""
    with db.transaction() as session:
        factories.customer(session, "LNXX")
        factories.site(session, "SY-01", customer_code="LNXX")
        factories.warehouse(session, "WH-SY", handling_minutes=15)
        factories.part(session, "PSU-750W", specs={"watts": 750})
        for serial in ("U1", "U2", "U3"):
            factories.spare(session, serial, part_number="PSU-750W")
        factories.device(session, "DEV-1", components=[("PSU1", "PSU-750W", "C-1")])


def schemathesis(server: LiveServer, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    token = server.headers_for("admin", name="fuzz")["Authorization"]
    env = os.environ | {"SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT)}
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        server.url + target,
        "--checks",
        "all",
        "--header",
        f"Authorization: {token}",
        "--max-examples",
        str(EXAMPLES),
        "--no-color",
        *extra,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT, check=False
    )


def test_openapi_operations_hold_their_schema(live_server: LiveServer) -> None:
    stock(live_server.database)
    # /graphql is in the OpenAPI document but has a schema of its own: fuzzed below.
    run = schemathesis(
        live_server, "/openapi.json", "--phases", PHASES, "--exclude-path", "/graphql"
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


def test_graphql_answers_every_query_without_a_server_error(live_server: LiveServer) -> None:
    stock(live_server.database)
    run = schemathesis(live_server, "/graphql", "--exclude-checks", "not_a_server_error")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
