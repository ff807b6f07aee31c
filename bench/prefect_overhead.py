#!/usr/bin/env python3
"""What Prefect itself costs a `clean-corpus run`: start-up of the flow and each task run.

    .venv/bin/python bench/prefect_overhead.py            # ephemeral mode, as `clean-corpus run`
    .venv/bin/python bench/prefect_overhead.py --tasks 20 100 --repeat 2

Each measurement is a fresh process, like a user's command, with the CLI's Prefect settings:
`import prefect`; flow start (the call to the flow's first line: the temporary API server
and the flow run); N no-op tasks mapped the way clean_corpus maps its shard tasks (NO_CACHE,
thread runner), timed inside the flow; flow end (its last line to the call's return). Run it
alone: other jobs on the machine stretch it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flows.cli import PREFECT_DEFAULTS  # noqa: E402

PROGRAM = """
import sys, time
started = time.perf_counter()
from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
imported = time.perf_counter()

@task(name="noop", task_run_name="noop-{i}", cache_policy=NO_CACHE)
def noop(i: int, label: str) -> int:
    return i

marks = {}

@flow(name="overhead")
def overhead(n: int) -> int:
    marks["body"] = time.perf_counter()
    total = sum(f.result() for f in noop.map(list(range(n)), label=unmapped("x")))
    marks["tasks"] = time.perf_counter()
    return total

called = time.perf_counter()
overhead(int(sys.argv[1]))
ended = time.perf_counter()
print(imported - started, marks["body"] - called, marks["tasks"] - marks["body"],
      ended - marks["tasks"])
"""


def measure(tasks: int, env: dict[str, str]) -> dict[str, float]:
    """Seconds of one fresh process: import, flow start (call to first line of the flow),
    tasks (submitting and waiting for them), flow end (last line to return), wall."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tasks)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    values = [float(x) for x in done.stdout.split()[-4:]]
    return dict(zip(("import", "start", "tasks", "end"), values, strict=True), wall=wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prefect-overhead-") as home:
        env = {**os.environ, **PREFECT_DEFAULTS, "PREFECT_HOME": home}
        env.pop("PREFECT_API_URL", None)
        measure(0, env)  # a fresh PREFECT_HOME migrates its database once: not a user's cost
        print(f"load before: {os.getloadavg()[0]:.2f}, cores: {len(os.sched_getaffinity(0))}")
        runs = {n: [measure(n, env) for _ in range(args.repeat)] for n in [0, *args.tasks]}
    best = {n: min(r, key=lambda m: m["wall"]) for n, r in runs.items()}
    fastest = min(best.values(), key=lambda m: m["wall"])
    print("\n| what | seconds |\n|---|---|")
    print(f"| `import prefect` | {fastest['import']:.2f} |")
    print(
        f"| flow start: call to the flow's first line (temporary server up) | "
        f"{min(m['start'] for m in best.values()):.2f} |"
    )
    print(
        f"| flow end: its last line to the call's return (server down) | "
        f"{min(m['end'] for m in best.values()):.2f} |"
    )
    empty = best[0]
    inside = empty["import"] + empty["start"] + empty["tasks"] + empty["end"]
    print(
        f"| process start and exit around it (interpreter, atexit) | {empty['wall'] - inside:.2f} |"
    )
    print(f"| a whole empty run, wall of the process | {empty['wall']:.2f} |")
    for n in args.tasks:
        print(f"| per task run, {n} no-op tasks mapped | {best[n]['tasks'] / n * 1000:.0f} ms |")
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
