"""Shard work without a process pool runs one call at a time, whatever the threads; processes
started early warm up before any work and serve the run that has as many."""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from flows import workers

_running = 0
_most = 0
_count = threading.Lock()


def busy(seconds: float) -> int:
    global _running, _most
    with _count:
        _running += 1
        _most = max(_most, _running)
    time.sleep(seconds)
    with _count:
        _running -= 1
    return _most


def test_inline_shard_work_from_many_threads_takes_turns():
    with workers.worker_pool(1), ThreadPoolExecutor(8) as threads:
        results = list(threads.map(lambda _: workers.run(busy, 0.02), range(8)))
    assert max(results) == 1 and _most == 1


def test_the_flows_process_does_not_load_what_only_stages_need():
    """Stages go to workers by name: importing the flow loads neither flows/stages.py nor
    numba, scipy or trafilatura (some 170 MB of every run's peak with worker processes)."""
    code = (
        "import sys, flows.cli, flows.clean_corpus\n"
        "print(sorted(m for m in ('flows.stages', 'numba', 'scipy', 'trafilatura', 'datasketch')"
        " if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"


def test_a_stage_by_name_runs_the_stage_in_a_worker(tmp_path):
    import pyarrow as pa

    from cleaners.chrome import FREQUENCY_SCHEMA
    from cleaners.config import Config
    from flows.io import write_table
    from flows.workers import stages

    part = tmp_path / "part.parquet"
    rows = {"site": ["a.example"] * 2, "line_hash": [1, 2], "docs": [9, 1]}
    write_table(pa.table(rows, schema=FREQUENCY_SCHEMA), part)
    with workers.worker_pool(2):
        found = workers.run(stages.frequent_lines, [str(part)], Config.load(), str(tmp_path / "o"))
    assert found == 1  # the line on 9 pages; the one-page line is not frequent


def test_a_step_run_alone_gets_a_process_of_its_own_and_the_workers_stop():
    with workers.worker_pool(2):
        before = workers.run(os.getpid)
        alone = workers.run_alone(os.getpid)
        after = workers.run(os.getpid)
    assert len({os.getpid(), before, alone}) == 3
    assert after not in (before, alone)  # the workers were stopped, and started again


def mark_warm(folder: str) -> None:
    """A warm-up that leaves a file named by its process's id."""
    from pathlib import Path

    (Path(folder) / str(os.getpid())).touch()


def fail_warm(folder: str) -> None:
    raise RuntimeError("a warm-up that fails")


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_processes_started_early_warm_up_first_and_are_the_pool_of_their_size(tmp_path):
    with (
        workers.started_early(2, mark_warm, str(tmp_path)),
        workers.worker_pool(2),
        ThreadPoolExecutor(4) as threads,
    ):
        pids = set(threads.map(lambda _: workers.run(pid_after, 0.05), range(8)))
    warmed = {int(p.name) for p in tmp_path.iterdir()}
    assert len(warmed) == 2 and os.getpid() not in warmed
    assert pids == warmed  # each call ran in one of the processes warmed up before it


def test_a_pool_of_another_size_stops_the_processes_started_early(tmp_path):
    with workers.started_early(2, mark_warm, str(tmp_path)):
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # both processes running
        early = [int(p.name) for p in tmp_path.iterdir()]
        assert len(early) == 2
        with workers.worker_pool(1):
            for pid in early:
                with pytest.raises(ProcessLookupError):
                    os.kill(pid, 0)  # stopped (and reaped) as the run chose another size
            assert workers.run(os.getpid) == os.getpid()  # one worker: inline


def test_a_warm_up_that_fails_leaves_the_workers_working(tmp_path):
    with workers.started_early(2, fail_warm, str(tmp_path)), workers.worker_pool(2):
        assert workers.run(os.getpid) != os.getpid()


def frozen_objects() -> int:
    import gc

    return gc.get_freeze_count()


def test_workers_freeze_their_heap_before_the_first_call_warm_or_not(tmp_path):
    """The cyclic collector does not walk the modules and caches a worker loaded (nor what
    its warm-up loaded) each time a stage allocates."""
    with workers.worker_pool(2):
        cold = workers.run(frozen_objects)
    with workers.started_early(2, mark_warm, str(tmp_path)), workers.worker_pool(2):
        warm = workers.run(frozen_objects)
    assert cold > 1000 and warm > 1000  # a bare interpreter with our imports: ~10k objects


_cache: list = []  # in a worker, that process's own


def cache_something() -> int:
    import gc

    _cache.append([[i] for i in range(5000)])  # the kind of state a stage leaves cached
    return gc.get_freeze_count()


def test_what_a_call_leaves_behind_is_frozen_after_it():
    with workers.worker_pool(1):
        assert workers.run(frozen_objects) == 0  # the flow's own process is left alone
    with workers.worker_pool(2), ThreadPoolExecutor(2) as threads:
        # a call in each process (both busy at once), then another in each
        first = min(threads.map(lambda _: workers.run(pid_after_cache, 0.3), range(2)))
        after = min(threads.map(lambda _: workers.run(frozen_after, 0.3), range(2)))
    assert after >= first + 5000


def pid_after_cache(seconds: float) -> int:
    time.sleep(seconds)
    return cache_something()


def frozen_after(seconds: float) -> int:
    time.sleep(seconds)
    return frozen_objects()
