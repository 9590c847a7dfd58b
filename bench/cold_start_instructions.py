"""Cold starts counted in instructions: the deterministic companion of bench/cold_starts.py.

On a shared machine the wall-clock cold starts move by a third from one fresh process to the next,
the floor with them, and two runs of the same code can fall on either side of the budget. The
instructions a process executes do not move: valgrind's callgrind counts them, the same for the
same code and inputs whatever else the machine is doing. Each function's first event (the same
as bench/cold_starts.py) against the import of its libraries, one counted process each, after an
uncounted one that writes the bytecode. What this leaves out, and the wall-clock figure keeps:
waiting on the database and the disk, and the kernel's share.

Needs valgrind (on the machine, not installed by the project): without it, says so and skips.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from bench.cold_start_auth import bare
from bench.cold_starts import COLD, first_events
from bench.common import REPO

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(code: str, env: dict[str, str], *args: str) -> int:
    """The instructions a fresh interpreter executes running `code` (its start-up included)."""
    subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=REPO, capture_output=True, check=True)
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    found = _COLLECTED.search(out.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        print("valgrind is not on this machine: cold starts in instructions skipped")
        return
    with first_events() as (env, cold_functions):
        print("instructions of one fresh process each (callgrind), against the import of the libraries each path needs")
        floors: dict[tuple[str, ...], int] = {}
        for function in cold_functions:
            libraries = tuple(function.libraries)
            if libraries not in floors:
                floors[libraries] = instructions(bare(list(libraries)), env)
            cold = instructions(COLD, env, str(REPO / function.entrypoint), json.dumps(function.event))
            floor = floors[libraries]
            print(
                f"cold start {function.name:<40} {cold / 1e9:7.3f} G instr   vs bare import of its libraries "
                f"{floor / 1e9:7.3f} G instr   ratio {cold / floor:5.2f}x   budget <= 1.30x"
            )


if __name__ == "__main__":
    main()
