"""A serving worker does not load the document and Redis libraries until it needs them: a
worker that renders no fault report, writes no workbook and has no Redis configured stays
about 35 MB smaller (PERFORMANCE.md: ≤ 200 MB resident per worker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("docx", "fpdf", "PIL", "xlsxwriter", "openpyxl", "redis")


def _loaded_after(code: str) -> set[str]:
    env = os.environ | {"INVENTORY_REDIS_URL": ""}
    env.pop("INVENTORY_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    return {name for name in LAZY if name in loaded}


def test_the_app_starts_without_the_document_and_redis_libraries() -> None:
    assert _loaded_after("from api.app import create_app\ncreate_app()") == set()


def test_rendering_a_fault_report_loads_its_writers() -> None:
    code = "from inventory_service.reporting import fault_report_files"
    assert {"docx", "fpdf"} <= _loaded_after(code)


def test_the_cli_loads_the_demo_loader_only_for_a_demo_command() -> None:
    """Every `inventory-service` command starts ~0.2 s sooner (an import job's clock)."""
    code = (
        "import sys\nimport inventory_service.cli\n"
        "assert 'seed.commands' in sys.modules, 'the demo commands are registered'\n"
        "print('seed.loader' in sys.modules)"
    )
    env = os.environ | {"INVENTORY_REDIS_URL": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=120,
    ).stdout  # fmt: skip
    assert out.strip() == "False"
