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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from inventory_service.platform import auth  # noqa: E402
from inventory_service.platform.db import Database  # noqa: E402
from inventory_service.reach import coverage  # noqa: E402


def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
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
    print(
        f"coverage: median {statistics.median(times):.2f} s of {runs} "
        f"({', '.join(f'{t:.2f}' for t in times)}); {len(result.pairs):,} pairs, "
        f"{result.share_covered:.1%} covered; fingerprint {', '.join(sorted(prints))}"
    )


if __name__ == "__main__":
    main()
