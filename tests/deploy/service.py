"""Real `inventory-service serve` processes for the deployment tests (the image's entry point)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
# The console script that `pip install` of the wheel puts beside the interpreter, as in the image.
ENTRY_POINT = Path(sys.executable).parent / "inventory-service"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    """One running service process, its address and its JSON log file."""

    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def logs(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (other lines, e.g. the banner, skipped)."""
        entries = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries

    def terminate(self) -> None:
        """What the kubelet does first: SIGTERM."""
        self.proc.send_signal(signal.SIGTERM)


@contextmanager
def replica(database_url: str, log_path: Path, **env: str) -> Iterator[Replica]:
    """Run `inventory-service serve` on a free loopback port until the block ends."""
    port = free_port()
    environment = os.environ | {
        "INVENTORY_DATABASE_URL": database_url,
        "INVENTORY_ENVIRONMENT": "test",
        "INVENTORY_LOG_LEVEL": "INFO",
        "INVENTORY_LOG_JSON": "true",
    }
    environment |= env
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(ENTRY_POINT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers too can be stopped as one process group
        )
    running = Replica(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_ready(running)
        yield running
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass  # the whole group is gone already
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return


def wait_ready(running: Replica, timeout: float = 180) -> None:
    """Poll /readyz as the kubelet's readiness probe would (slow to start on a busy machine)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{running.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if running.proc.poll() is not None or time.monotonic() > deadline:
            stop(running.proc)
            output = running.log_path.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(
                f"the service did not become ready (exit {running.proc.poll()}):\n{output[-3000:]}"
            )
        time.sleep(0.1)
