"""`make bench`: every benchmark in one run, each figure printed beside its baseline."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Each module has main(); add new benchmarks here.
BENCHMARKS = [
    "bench.tenancy",
    "bench.scheduled",
    "bench.cold_start_auth",
    "bench.cold_start_functions",
    "bench.cold_starts",
    "bench.cold_start_instructions",
    "bench.requests",
    "bench.readiness",
    "bench.images",
    "bench.jobs",
    "bench.sandboxes",
    "bench.sales",
    "bench.sale_notices",
    "bench.dashboard",
]


def main() -> int:
    for name in BENCHMARKS:
        print(f"== {name}")
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
