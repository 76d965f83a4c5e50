"""Benchmark: the issue's hostile inputs against a real server (SECURITY.md's figures).

    .venv/bin/python bench/hostile_inputs.py [--rounds 10] [--unpacked-mb 400]

Serves the app (`inventory-service serve`, production settings, SQLite in a temporary
directory, 127.0.0.1 only) and measures, from the client:
- the cost bomb of issue 13 from a customer token: time to the `query_too_complex` answer
  (median and worst of `--rounds`), alone and as 30 aliases;
- `/healthz` latency alone, then while 4 clients send 30-alias cost bombs back to back;
- the zip bomb (an .xlsx of ~0.4 MB whose shared strings unpack to `--unpacked-mb` MB) posted
  to `/api/v1/devices/import`: time to the 413, and the server's peak RSS growth (VmHWM from
  /proc, read before and after; the server has imported a small workbook first, so openpyxl
  and the import path are warm).
Prints the machine's load average and a Markdown table (about 20 s). The server is stopped at
the end, whatever happens.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from harness import free_port  # noqa: E402

from tests.hostile import xlsx_bomb  # noqa: E402

COST_BOMB = (
    "{ devices(limit: 500) { items { site { devices(limit: 500) { site { devices(limit: 500) "
    "{ id } } } } } } }"
)
ALIASED = "{ " + " ".join(f"a{n}: {COST_BOMB[1:-1]}" for n in range(30)) + " }"


def prepare(url: str) -> tuple[str, str]:
    """Migrate; one customer, site, part and device; (admin token, customer token)."""
    os.environ["INVENTORY_DATABASE_URL"] = url
    from inventory_service.assets import places, register
    from inventory_service.platform import auth, migrate
    from inventory_service.platform.db import Database
    from inventory_service.warehouse import catalogue
    from models.device import DeviceCreate
    from models.part import PartCreate
    from models.place import CustomerCreate, SiteCreate

    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        actor = auth.SYSTEM
        places.create_customer(session, actor=actor, data=CustomerCreate(code="LNXX", name="XX"))
        places.create_site(
            session,
            actor=actor,
            data=SiteCreate(
                code="SY-01",
                name="SY-01",
                customer_code="LNXX",
                city="Shenyang",
                lat=41.8,
                lon=123.43,
            ),
        )
        catalogue.create_part(
            session,
            actor=actor,
            data=PartCreate(
                part_number="PSU-750W", name="PSU", vendor="Dell", category="psu", specs={}
            ),
        )
        register.create_device(
            session,
            actor=actor,
            data=DeviceCreate(
                site_code="SY-01", vendor="Dell", model="R750", hostname="h1", serial="D-1"
            ),
        )
        admin = auth.create_token(session, role="admin", name="bench-admin").token
        customer = auth.create_token(
            session, role="customer", customer_code="LNXX", name="bench-customer"
        ).token
    db.dispose()
    return admin, customer


@contextmanager
def server(url: str, log: Path) -> Iterator[tuple[str, int]]:
    """The service on a free loopback port: (base URL, pid)."""
    port = free_port()
    env = os.environ | {
        "INVENTORY_DATABASE_URL": url,
        "INVENTORY_ENVIRONMENT": "production",
        "INVENTORY_LOG_LEVEL": "WARNING",
        "INVENTORY_EXPIRY_SWEEP_SECONDS": "0",
    }
    exe = Path(sys.executable).with_name("inventory-service")
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            cwd=ROOT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def timed(call: object) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    answer = call()  # type: ignore[operator]
    return time.perf_counter() - started, answer


def bomb(http: httpx.Client, query: str, token: str) -> tuple[float, httpx.Response]:
    return timed(
        lambda: http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
    )


def cost_bombs(base: str, customer: str, rounds: int) -> list[str]:
    rows = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for name, query in (
            ("cost bomb (1 query)", COST_BOMB),
            ("cost bomb (30 aliases)", ALIASED),
        ):
            bomb(http, query, customer)  # warm-up: the token's first lookup, cold caches
            seconds = []
            for _ in range(rounds):
                elapsed, answer = bomb(http, query, customer)
                code = answer.json()["errors"][0]["extensions"]["code"]
                assert code == "query_too_complex", answer.text[:300]
                seconds.append(elapsed)
            rows.append(
                f"| {name}, customer token: refused `query_too_complex` | "
                f"median {statistics.median(seconds) * 1000:.0f} ms, "
                f"worst {max(seconds) * 1000:.0f} ms ({rounds} rounds after a warm-up) |"
            )
    return rows


def probe_health(base: str, seconds: float) -> list[float]:
    """`/healthz` latencies, one probe every 50 ms for `seconds`."""
    latencies = []
    with httpx.Client(base_url=base, timeout=60) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            elapsed, answer = timed(lambda: http.get("/healthz"))
            assert answer.status_code == 200
            latencies.append(elapsed)
            time.sleep(0.05)
    return sorted(latencies)


def spread(latencies: list[float]) -> str:
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return (
        f"median {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"worst {latencies[-1] * 1000:.1f} ms"
    )


def health_under_bombs(base: str, customer: str, seconds: float = 5.0) -> list[str]:
    """`/healthz` alone, then while 4 clients send 30-alias bombs back to back."""
    alone = probe_health(base, 2.0)
    stop = threading.Event()
    refused = [0]

    def attacker() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            while not stop.is_set():
                _, answer = bomb(http, ALIASED, customer)
                assert answer.status_code == 200
                refused[0] += 1

    threads = [threading.Thread(target=attacker) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        latencies = probe_health(base, seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    return [
        f"| `/healthz` alone ({len(alone)} probes) | {spread(alone)} |",
        f"| `/healthz` while 4 clients send 30-alias bombs ({refused[0]} refused in "
        f"{seconds:.0f} s, {len(latencies)} probes) | {spread(latencies)} |",
    ]


def small_workbook() -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["site_code", "vendor", "model", "hostname", "serial"])
    sheet.write_row(1, 0, ["SY-01", "Dell", "R750", "h2", "D-2"])
    book.close()
    return buffer.getvalue()


def zip_bomb(base: str, pid: int, admin: str, path: Path, unpacked_mb: int) -> list[str]:
    headers = {"Authorization": f"Bearer {admin}"}
    content = xlsx_bomb(path, unpacked_mb=unpacked_mb).read_bytes()
    with httpx.Client(base_url=base, timeout=120) as http:
        warm = http.post(
            "/api/v1/devices/import",
            files={"file": ("warm.xlsx", small_workbook())},
            headers=headers,
        )
        assert warm.status_code == 201, warm.text
        before = peak_rss_mb(pid)
        elapsed, answer = timed(
            lambda: http.post(
                "/api/v1/devices/import", files={"file": ("bomb.xlsx", content)}, headers=headers
            )
        )
        after = peak_rss_mb(pid)
    assert answer.status_code == 413, answer.text[:300]
    return [
        f"| zip bomb: {len(content) / 1024:.0f} KB xlsx, shared strings unpack to "
        f"{unpacked_mb} MB: 413 `payload_too_large` | {elapsed * 1000:.0f} ms, "
        f"answer {len(answer.content)} bytes |",
        f"| server peak RSS growth during the zip bomb | {after - before:.1f} MB "
        f"(peak {before:.0f} → {after:.0f} MB) |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--unpacked-mb", type=int, default=400)
    args = parser.parse_args()
    load_before = " ".join(f"{n:.1f}" for n in os.getloadavg()[:2])
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        url = f"sqlite:///{tmp}/hostile.db"
        admin, customer = prepare(url)
        with server(url, Path(tmp) / "server.log") as (base, pid):
            rows = cost_bombs(base, customer, args.rounds)
            rows += health_under_bombs(base, customer)
            rows += zip_bomb(base, pid, admin, Path(tmp) / "bomb.xlsx", args.unpacked_mb)
    one, five, _ = os.getloadavg()
    print(f"load average before: {load_before}; after: {one:.1f} {five:.1f}")
    print("| Hostile input | Measured |")
    print("| --- | --- |")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
