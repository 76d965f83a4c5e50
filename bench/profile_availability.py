"""In-process profile of availability answers on the benchmark data set (pyinstrument).

    .venv/bin/python bench/profile_availability.py \
        postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf [N]

Times N random site × part answers (service layer, one read session each), prints the mean
and writes the pyinstrument text profile to bench/out/availability-profile.txt.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyinstrument import Profiler  # noqa: E402

from bench import reach  # noqa: E402
from inventory_service.platform import auth  # noqa: E402
from inventory_service.platform.db import Database  # noqa: E402
from inventory_service.reach import reachability  # noqa: E402


def main() -> None:
    url, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200
    db = Database(url)
    rnd = random.Random(5)
    keys = [
        (f"S{rnd.randrange(reach.SITES):05d}", f"P{rnd.randrange(reach.PARTS):03d}")
        for _ in range(n)
    ]

    def run() -> None:
        for site, part in keys:
            with db.session() as session:
                reachability.availability(
                    session, actor=auth.SYSTEM, site_code=site, part_number=part
                )

    run()  # warm: caches, prepared statements
    started, cpu = time.perf_counter(), time.process_time()
    run()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    profiler = Profiler(interval=0.0005)
    with profiler:
        run()
    out = Path(__file__).with_name("out") / "availability-profile.txt"
    out.parent.mkdir(exist_ok=True)  # bench/out/ is not in git
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(
        f"{n} answers: {took / n * 1000:.2f} ms each, {cpu / n * 1000:.2f} ms of this process's "
        f"CPU each (profile: {out})"
    )
    db.dispose()


if __name__ == "__main__":
    main()
