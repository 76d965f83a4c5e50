"""A/B run of bench/reach.py's measurements on an existing data set.

    PY bench/ab_reach.py REPO DBNAME

REPO's bench/reach.py supplies explain / coverage / the request mix and REPO's code serves
(PY must be REPO's venv); the harness is this checkout's. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

repo, dbname = sys.argv[1], sys.argv[2]
sys.path.insert(0, repo)


def load(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


harness = load("bench.harness", str(Path(__file__).with_name("harness.py")))
reach = load("bench_reach_mod", f"{repo}/bench/reach.py")
reach.harness = harness
url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
reach.explain(url)
reach.time_coverage(url)
# Written out, not `reach.availability_requests`: the tree under test may predate that helper.
from inventory_service.platform import auth  # noqa: E402
from inventory_service.platform.db import Database  # noqa: E402

db = Database(url)
with db.transaction() as session:
    token = auth.create_token(session, role="dispatcher", name="bench").token
db.dispose()
rnd = random.Random(1)
paths = [
    f"/api/v1/availability?site_code=S{rnd.randrange(reach.SITES):05d}"
    f"&part_number=P{rnd.randrange(reach.PARTS):03d}"
    for _ in range(2000)
]
lua = harness.random_paths_lua(paths, headers={"Authorization": f"Bearer {token}"})
ceilings, results = [], []
with harness.serve(url) as base:
    for _ in range(2):
        ceilings.append(harness.wrk("C /bench/ceiling", f"{base}/bench/ceiling", connections=8))
        results.append(
            harness.wrk(
                "GET /availability (random site × part)",
                f"{base}/api/v1/availability",
                connections=8,
                lua=lua,
            )
        )
print(harness.table(results, ceilings))  # noqa: T201
