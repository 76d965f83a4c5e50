"""Every benchmark of PERFORMANCE.md in one bounded run: the table and `bench/results.json`.

    .venv/bin/python bench/run_all.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/run_all.py ... --seconds 5 --skip-import   # a quicker pass

Data set (built once per server as the database `bench_perf`, ~2 min, by `reach.build`):
10,000 sites, 500 warehouses, 100 parts, 1,000,000 spare units, 100,000 devices × 3
components. C is the bare FastAPI app of `bench/ceiling.py` in its own process, under the same
uvicorn settings and client count as the endpoint; runs interleave C, endpoint, C, endpoint
and each endpoint's ratio is to the mean of the C runs on either side of it. Every wrk run is
`-t2 -cN -dS --latency` after a 3 s warm-up on 127.0.0.1. The machine's load average is
recorded with every run (the machine is shared). Wall time: ~7 min with `--seconds 10`
after the data set exists; everything is killed on the way out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import (  # noqa: E402
    coverage_check,
    floor,
    graphql_board,
    harness,
    reach,
    reservations,
)

NAME = "bench_perf"
RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass
class Line:
    """One line of the table: what was measured against which target."""

    name: str
    target: str
    measured: str
    ratio: float | None
    met: bool | None
    command: str
    runs: list[dict[str, object]] = field(default_factory=list)
    note: str = ""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


class Bench:
    def __init__(self, url: str, seconds: int) -> None:
        self.url = url
        self.seconds = seconds
        self.lines: list[Line] = []
        self.command = " ".join([".venv/bin/python", "bench/run_all.py", *sys.argv[1:]])

    def wrk(self, name: str, url: str, *, clients: int, lua: str | None = None) -> harness.Result:
        result = harness.wrk(name, url, connections=clients, lua=lua, seconds=self.seconds)
        print(
            f"  {name}: {result.requests_per_second:,.0f} req/s p50 {result.p50_ms:.1f} ms "
            f"p99 {result.p99_ms:.1f} ms non-2xx {result.non_2xx} ({load()})",
            file=sys.stderr,
            flush=True,
        )
        return result

    def against_c(
        self,
        ceiling: str,
        base: str,
        endpoints: list[tuple[str, str, str | None]],
        *,
        clients: int,
        repeat: int = 1,
    ) -> list[tuple[harness.Result, float, list[harness.Result]]]:
        """C, e1, C, e2, C, ...: each endpoint with the mean of the C runs around it."""
        runs: list[harness.Result] = [self.wrk(f"C ({clients} clients)", ceiling, clients=clients)]
        out = []
        for _ in range(repeat):
            for name, path, lua in endpoints:
                result = self.wrk(name, base + path, clients=clients, lua=lua)
                after = self.wrk(f"C ({clients} clients)", ceiling, clients=clients)
                c = (runs[-1].requests_per_second + after.requests_per_second) / 2
                out.append((result, c, [runs[-1], after]))
                runs.append(after)
        return out

    def add(
        self,
        name: str,
        target: str,
        result: harness.Result,
        c: float,
        cs: list[harness.Result],
        *,
        need_ratio: float | None,
        p99_limit: float | None = None,
        note: str = "",
    ) -> None:
        """A line against C; `need_ratio` None: reported only (no target to meet)."""
        ratio = result.requests_per_second / c if c else 0.0
        met: bool | None = None
        if need_ratio is not None:
            met = ratio >= need_ratio and (p99_limit is None or result.p99_ms <= p99_limit)
            met = met and result.non_2xx == 0
        measured = (
            f"{result.requests_per_second:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms (C {c:,.0f} req/s)"
        )
        if result.non_2xx:
            measured += f", {result.non_2xx} non-2xx"
        self.lines.append(
            Line(
                name,
                target,
                measured,
                round(ratio, 4),
                met,
                self.command,
                [asdict(r) for r in [*cs, result]],
                note or load(),
            )
        )


def _tokens(url: str) -> dict[str, str]:
    from inventory_service.platform import auth
    from inventory_service.platform.db import Database

    db = Database(url)
    with db.transaction() as session:
        made = {
            role: auth.create_token(session, role=role, name=f"bench-{role}").token
            for role in ("admin", "dispatcher", "engineer")
        }
    db.dispose()
    return made


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def availability_lua(token: str) -> str:
    rnd = random.Random(1)
    paths = [
        f"/api/v1/availability?site_code=S{rnd.randrange(reach.SITES):05d}"
        f"&part_number=P{rnd.randrange(reach.PARTS):03d}"
        for _ in range(2000)
    ]
    return harness.random_paths_lua(paths, headers=_auth(token))


def serial_lua(token: str) -> str:
    rnd = random.Random(3)
    paths = []
    for _ in range(2000):
        d = rnd.randrange(reach.DEVICES)
        paths.append(
            f"/api/v1/devices?serial=D{d:06d}" if d % 2 else f"/api/v1/devices?serial=C{d + 1}-1"
        )
    return harness.random_paths_lua(paths, headers=_auth(token))


def board_lua(url: str, token: str) -> str:
    from inventory_service.platform.pagination import encode_cursor

    low, high = graphql_board.device_ids(url)
    rnd = random.Random(7)
    cursors = [encode_cursor(rnd.randrange(low - 1, high - 100)) for _ in range(500)]
    return graphql_board.graphql_lua(cursors, token)


def reserve_lua(token: str) -> str:
    return reservations.RESERVE_LUA % {"token": token, "sites": reach.SITES, "parts": reach.PARTS}


@contextmanager
def both(url: str, workers: int) -> Iterator[tuple[str, str, harness.subprocess.Popen[bytes]]]:
    """The bare ceiling app and the service, side by side with the same worker count."""
    with (
        harness.serve_ceiling(workers=workers) as ceiling,
        harness.serve_process(url, workers=workers) as (base, proc),
    ):
        yield ceiling, base, proc


def one_worker(bench: Bench, tokens: dict[str, str]) -> None:
    url = bench.url
    with both(url, 1) as (ceiling, base, proc):
        first = httpx.get(
            f"{base}/api/v1/availability",
            params={"site_code": "S00001", "part_number": "P001"},
            headers=_auth(tokens["dispatcher"]),
            timeout=30,
        )
        first.raise_for_status()
        (const, c1, cs1), (dev, c2, cs2), (board, c3, cs3), (res, c4, cs4) = bench.against_c(
            ceiling,
            base,
            [
                ("service constant /bench/ceiling", "/bench/ceiling", None),
                ("GET /devices?serial=", "/", serial_lua(tokens["admin"])),
                ("GraphQL board (100 devices)", "/", board_lua(url, tokens["admin"])),
                ("POST /reservations", "/", reserve_lua(tokens["dispatcher"])),
            ],
            clients=32,
        )
        bench.add(
            "constant endpoint inside the service (1 worker, 32 clients)",
            "≥ 0.8 C",
            const,
            c1,
            cs1,
            need_ratio=0.8,
        )
        bench.add("GET /devices?serial= (PostgreSQL)", "≥ 0.25 C", dev, c2, cs2, need_ratio=0.25)
        bench.add(
            "GraphQL board: 100 devices + site, components, parts (PostgreSQL)",
            "≥ 0.02 C",
            board,
            c3,
            cs3,
            need_ratio=0.02,
        )
        bench.add(
            "POST /reservations, 32 clients (PostgreSQL, 1 worker)",
            "≥ 0.05 C, 0 double bookings",
            res,
            c4,
            cs4,
            need_ratio=0.05,
            note=reservations.check_books(url) + "; " + load(),
        )
        runs = bench.against_c(
            ceiling,
            base,
            [("GET /availability", "/", availability_lua(tokens["dispatcher"]))],
            clients=8,
            repeat=2,
        )
        sizes = harness.rss_mb(proc)
        for result, c, cs in runs:
            bench.add(
                "GET /availability, 1M units, 8 clients (PostgreSQL, 1 worker)",
                "≥ 0.15 C, p99 ≤ 50 ms",
                result,
                c,
                cs,
                need_ratio=0.15,
                p99_limit=50,
            )
        bench.lines.append(
            Line(
                "resident memory per worker after the load above",
                "≤ 200 MB",
                ", ".join(f"{s:.0f} MB" for s in sizes),
                None,
                max(sizes) <= 200,
                bench.command,
            )
        )


def floor_lines(bench: Bench) -> None:
    """What k one-row lookups cost a bare FastAPI app (`bench/floor.py`), 8 clients, no target:
    the line under which every answer of k statements sits (sync: a `def` route; async:
    psycopg's async mode)."""
    with harness.serve_ceiling() as ceiling, floor.serving(bench.url) as base:
        runs = bench.against_c(
            ceiling, base, [(f"floor {route}", route, None) for route in floor.ROUTES], clients=8
        )
    for result, c, cs in runs:
        bench.lines.append(
            Line(
                f"floor: bare app, `{result.name.split(' ', 1)[1]}` (8 clients)",
                "reported",
                f"{result.requests_per_second:,.0f} req/s, p99 {result.p99_ms:.1f} ms "
                f"(C {c:,.0f} req/s)",
                round(result.requests_per_second / c, 4) if c else None,
                None,
                bench.command,
                [asdict(r) for r in [*cs, result]],
                load(),
            )
        )


def more_workers(bench: Bench, tokens: dict[str, str], workers: int) -> None:
    with both(bench.url, workers) as (ceiling, base, proc):
        [(avail, c1, cs1)] = bench.against_c(
            ceiling,
            base,
            [("GET /availability", "/", availability_lua(tokens["dispatcher"]))],
            clients=8,
        )
        [(res, c2, cs2)] = bench.against_c(
            ceiling,
            base,
            [("POST /reservations", "/", reserve_lua(tokens["dispatcher"]))],
            clients=32,
        )
        sizes = harness.rss_mb(proc)
    bench.add(
        f"GET /availability, 8 clients, {workers} workers",
        "reported",
        avail,
        c1,
        cs1,
        need_ratio=None,
        note=f"RSS per worker {', '.join(f'{s:.0f}' for s in sizes)} MB; {load()}",
    )
    bench.add(
        f"POST /reservations, 32 clients, {workers} workers",
        "reported",
        res,
        c2,
        cs2,
        need_ratio=None,
        note=reservations.check_books(bench.url) + "; " + load(),
    )


def timed(
    bench: Bench, name: str, target: str, limit: float, fn: Callable[[], tuple[float, str]]
) -> None:
    took, detail = fn()
    bench.lines.append(
        Line(
            name, target, f"{took:.2f} s ({detail})", None, took <= limit, bench.command, [], load()
        )
    )


def coverage_run(url: str, runs: int = 3) -> tuple[float, str]:
    """The median of `runs` coverages (the machine is shared: one run can be 40 % off)."""
    m = coverage_check.measure(url, runs)
    return m.median, (
        f"median of {runs} runs: {', '.join(f'{t:.2f}' for t in m.times)} s; {m.pairs:,} "
        f"site × part pairs, {m.share_covered:.1%} covered"
    )


def import_run() -> tuple[float, str]:
    """`bench/import_devices.py`: the CLI import's own time (not the file's preparation)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("import_devices.py"))],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    last = out.strip().splitlines()[-1]  # "imported 100,000 devices in 9.1 s (...)"
    return float(last.split(" in ", 1)[1].split(" s", 1)[0]), last


def write(bench: Bench) -> None:
    rows = [
        "| operation | target | measured | ratio to C | met |",
        "|---|---|---|---|---|",
    ]
    for line in bench.lines:
        ratio = "–" if line.ratio is None else f"{line.ratio:.3f} C"
        met = "–" if line.met is None else ("yes" if line.met else "**no**")
        rows.append(f"| {line.name} | {line.target} | {line.measured} | {ratio} | {met} |")
    table = "\n".join(rows)
    print(table)
    print(f"\ncommand: {bench.command}")
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "command": bench.command,
                "cpus": os.cpu_count(),
                "lines": [asdict(line) for line in bench.lines],
                "table": table,
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("server_url", help="a PostgreSQL server URL (creates bench_perf once)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    args = parser.parse_args()
    url = reach.build(args.server_url, name=NAME)
    bench = Bench(url, args.seconds)
    tokens = _tokens(url)
    print(f"start: {load()}", file=sys.stderr)
    try:
        one_worker(bench, tokens)
        floor_lines(bench)
        timed(bench, "coverage, 10,000 sites (in process)", "≤ 2 s", 2.0, lambda: coverage_run(url))
        if not args.skip_import:
            timed(bench, "import 100,000 devices into SQLite (CLI)", "≤ 10 s", 10.0, import_run)
        if not args.skip_workers:
            for workers in (2, 4):
                more_workers(bench, tokens, workers)
    finally:
        write(bench)


if __name__ == "__main__":
    main()
