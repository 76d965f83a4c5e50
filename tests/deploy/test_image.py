"""The container image: the Dockerfile's rules (hadolint and our own) and its install step.

No Docker engine runs here, so the image's install step is replayed: the wheel is built from
exactly the build context `.dockerignore` admits, installed into a fresh virtualenv, and its
console script (the image's ENTRYPOINT) migrates a database from a foreign directory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.deploy.service import ROOT

DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent
PORT = 8000


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), one list per stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(re.sub(r"\s+", " ", line))
    return found


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [line[len(keyword) + 1 :] for line in stage if line.upper().startswith(keyword + " ")]


def test_hadolint_finds_nothing() -> None:
    done = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_multi_stage_slim_and_unprivileged() -> None:
    build, runtime = stages()
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text(encoding="utf-8"))
    assert base is not None
    assert re.fullmatch(r"python:3\.11-slim-\w+", base.group(1))
    assert build[0] == "FROM ${PYTHON_IMAGE} AS build"
    assert runtime[0] == "FROM ${PYTHON_IMAGE} AS runtime"
    # The runtime takes the installed virtualenv alone: no compiler, no source, no wheel cache.
    assert instructions(runtime, "COPY") == ["--from=build /opt/inventory /opt/inventory"]
    assert not any(re.search(r"apt-get|apk |gcc|build-essential", line) for line in runtime)
    (user,) = instructions(runtime, "USER")
    assert int(user.split(":")[0]) >= 10000
    assert "pip wheel --no-deps" in " ".join(instructions(build, "RUN"))
    assert "pip uninstall --yes pip" in " ".join(instructions(build, "RUN"))


def test_the_entry_point_serves_on_the_exposed_port_with_a_healthcheck() -> None:
    runtime = stages()[-1]
    assert instructions(runtime, "ENTRYPOINT") == ['["inventory-service"]']
    assert instructions(runtime, "CMD") == [f'["serve", "--host", "0.0.0.0", "--port", "{PORT}"]']
    assert instructions(runtime, "EXPOSE") == [str(PORT)]
    (check,) = instructions(runtime, "HEALTHCHECK")
    assert f"http://127.0.0.1:{PORT}/healthz" in check
    env = " ".join(instructions(runtime, "ENV"))
    assert "INVENTORY_WORKERS=" in env
    assert "INVENTORY_SHUTDOWN_GRACE_SECONDS=" in env


def build_context() -> list[str]:
    """What `.dockerignore` lets into the build: everything is excluded but these."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in lines
    return [line[1:].rstrip("/") for line in lines if line.startswith("!")]


def install_into_fresh_venv(wheel: Path, venv: Path) -> tuple[Path, str]:
    """A fresh virtualenv with the wheel; its dependencies come from this one (no network)."""
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel],
        check=True,
        timeout=300,
    )
    return python, site


@pytest.mark.slow
def test_the_wheel_built_from_the_context_installs_and_its_entry_point_migrates(
    tmp_path: Path,
) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for entry in build_context():
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, context / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, context / entry)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheels, "."],
        cwd=context,
        check=True,
        timeout=540,
    )
    (wheel,) = wheels.glob("inventory_service-*.whl")

    python, site = install_into_fresh_venv(wheel, tmp_path / "venv")
    venv = python.parent.parent

    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    env |= {"INVENTORY_DATABASE_URL": f"sqlite:///{elsewhere / 'image.db'}"}
    entry_point = venv / "bin" / "inventory-service"
    where = subprocess.run(
        [python, "-c", "import inventory_service, api, models, seed; print(api.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(site), where  # the installed wheel, not the source tree
    migrated = subprocess.run(
        [entry_point, "migrate"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "database at revision" in migrated.stderr
    seeded = subprocess.run(
        [entry_point, "seed"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr  # the demo data files are in the wheel
