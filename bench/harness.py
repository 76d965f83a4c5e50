"""Benchmark harness: serve the app, load it with wrk next to the constant ceiling endpoint.

Every figure is a ratio to the ceiling C measured in the same run (PERFORMANCE.md): the
constant `async def` endpoint `/bench/ceiling` under the same uvicorn settings. Runs are
interleaved (C, endpoint, C, endpoint, ...) and bounded; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


def ensure_database(server_url: str, name: str) -> tuple[str, bool]:
    """The URL of the benchmark database `name` on that server, created when missing
    (True then: the caller builds its data set once)."""
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        created = exists.first() is None
        if created:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url, created


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    args: list[str], env: dict[str, str], health_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, bounded: waits ≤ `BENCH_START_SECONDS` (default 240) for `health_url`,
    always stopped afterwards."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    # A loaded machine (other engineers' test runs) can take well over a minute to start it.
    deadline = time.monotonic() + float(os.environ.get("BENCH_START_SECONDS", "240"))
    while True:
        try:
            if httpx.get(health_url, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()  # first: reading the stderr of a live server would wait forever
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server did not start: {err[-2000:]}")
        time.sleep(0.2)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


SERVICE_ENV: dict[str, str] = {
    "INVENTORY_BENCHMARK_ENDPOINTS": "true",
    "INVENTORY_LOG_LEVEL": "WARNING",
    "INVENTORY_AUTH_CACHE_SECONDS": "60",
    "INVENTORY_EXPIRY_SWEEP_SECONDS": "0",
    "INVENTORY_ENVIRONMENT": "production",
}


@contextmanager
def serve(
    database_url: str, *, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run `inventory-service serve` on a free port; yields its base URL."""
    with serve_process(database_url, workers=workers, extra_env=extra_env) as (url, _proc):
        yield url


@contextmanager
def serve_process(
    database_url: str, *, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`serve`, also yielding the process (for its workers' memory)."""
    port = free_port()
    env = os.environ | {"INVENTORY_DATABASE_URL": database_url} | SERVICE_ENV | (extra_env or {})
    exe = Path(sys.executable).with_name("inventory-service")
    args = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running([*args, "--workers", str(workers)], env, f"{url}/healthz") as proc:
        yield url, proc


@contextmanager
def serve_ceiling(*, workers: int = 1) -> Iterator[str]:
    """The bare FastAPI ceiling app (bench/ceiling.py) in its own process; yields the URL of
    its constant endpoint."""
    port = free_port()
    args = [sys.executable, str(ROOT / "bench" / "ceiling.py"), "--port", str(port)]
    url = f"http://127.0.0.1:{port}/ceiling"
    with running([*args, "--workers", str(workers)], dict(os.environ), url):
        yield url


def rss_mb(proc: subprocess.Popen[bytes]) -> list[float]:
    """Resident memory (MB) of each uvicorn worker of a server (the process itself when it
    serves alone), read from /proc."""
    pids = [proc.pid]
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    if children.exists():
        found = [int(p) for p in children.read_text().split()]
        # uvicorn's supervisor forks the workers (and a resource tracker with multiprocessing).
        pids = [p for p in found if "serve" in _cmdline(p) or "spawn_main" in _cmdline(p)] or pids
    sizes = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str

    def row(self, ceiling: float) -> str:
        ratio = self.requests_per_second / ceiling if ceiling else 0.0
        return (
            f"| {self.name} | {self.requests_per_second:,.0f} | {self.p50_ms:.2f} | "
            f"{self.p99_ms:.2f} | {ratio:.3f} C | {self.non_2xx} |"
        )


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(
    name: str,
    url: str,
    *,
    connections: int = 32,
    threads: int = 2,
    seconds: int = 10,
    lua: str | None = None,
    headers: dict[str, str] | None = None,
    warmup: int = 3,
) -> Result:
    """One bounded wrk run (after a short warm-up) against `url`."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    args = ["wrk", f"-t{threads}", f"-c{connections}", "--latency", "--timeout", "10s"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    script_path = None
    if lua:
        handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        handle.write(lua)
        handle.close()
        script_path = handle.name
        args += ["-s", script_path]
    try:
        if warmup:
            subprocess.run([*args, f"-d{warmup}s", url], capture_output=True, check=True)
        out = subprocess.run(
            [*args, f"-d{seconds}s", url], capture_output=True, check=True, text=True
        ).stdout
    finally:
        if script_path:
            os.unlink(script_path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: "76.50%" in the thread stats must not be read as the 50th percentile.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return Result(
        name,
        rps,
        p50,
        p99,
        int(non_2xx.group(1)) if non_2xx else 0,
        errors.group(1).strip() if errors else "",
    )


def table(results: list[Result], ceiling_runs: list[Result]) -> str:
    """A markdown table: each endpoint against the mean ceiling of the same run."""
    ceiling = sum(r.requests_per_second for r in ceiling_runs) / len(ceiling_runs)
    lines = [
        "| run | req/s | p50 ms | p99 ms | ratio | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    lines += [r.row(ceiling) for r in ceiling_runs + results]
    return "\n".join(lines)


def random_paths_lua(paths: list[str], *, headers: dict[str, str] | None = None) -> str:
    """A wrk script that requests a random path of `paths` each time."""
    quoted = ",".join(f'"{p}"' for p in paths)
    header_lines = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in (headers or {}).items())
    return (
        f"{header_lines}local paths = {{{quoted}}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        "  return wrk.format(nil, paths[math.random(#paths)])\n"
        "end\n"
    )
