"""Coverage on the benchmark data set: its time (median of N runs) and a fingerprint of the
whole answer (every pair, the stocking plan and the uncoverable pairs).

    .venv/bin/python bench/coverage_check.py \
        postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf [N]

A change made for speed must leave the fingerprint as it was: run it before and after the
change on the same data. The reservations benchmark books units, so it changes the stock and
the answer (on a fresh `bench_perf`, 2026-12-01: `d0b9129c4df83f9a`, 97.4 % covered).
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from inventory_service.platform import auth  # noqa: E402
from inventory_service.platform.db import Database  # noqa: E402
from inventory_service.reach import coverage  # noqa: E402


@dataclass
class Measured:
    """`runs` coverages of one database: their times, the last answer, its fingerprints."""

    times: list[float]
    pairs: int
    share_covered: float
    fingerprints: set[str]

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def measure(url: str, runs: int = 3) -> Measured:
    """Time `runs` coverages (in process) and fingerprint each answer."""
    db = Database(url)
    times, prints = [], set()
    for _ in range(runs):
        with db.transaction(write=False) as session:
            started = time.monotonic()
            result = coverage.compute(session, actor=auth.SYSTEM)
            times.append(time.monotonic() - started)
        answer = repr((result.pairs, result.plan, result.uncoverable)).encode()
        prints.add(hashlib.sha256(answer).hexdigest()[:16])
    db.dispose()
    return Measured(times, len(result.pairs), result.share_covered, prints)


def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    m = measure(url, runs)
    print(
        f"coverage: median {m.median:.2f} s of {runs} "
        f"({', '.join(f'{t:.2f}' for t in m.times)}); {m.pairs:,} pairs, "
        f"{m.share_covered:.1%} covered; fingerprint {', '.join(sorted(m.fingerprints))}"
    )


if __name__ == "__main__":
    main()
