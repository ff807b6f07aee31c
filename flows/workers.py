"""Process-level parallelism for CPU-bound shard work, under Prefect's thread task runner.

Prefect tasks stay in the flow's process (so ephemeral mode starts one API server, not one per
worker); each task hands its shard to a pool of worker processes that import only the pure
stage functions. With one worker everything runs inline.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
_pool: ProcessPoolExecutor | None = None
# Without a pool, shard tasks (one thread each under Prefect's thread runner) take turns: on
# one core, running them all at once would only hold every shard's batch in memory together.
_inline = threading.Lock()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def worker_pool(workers: int) -> Iterator[None]:
    global _pool
    if workers <= 1:
        yield
        return
    # spawn, not fork: the flow's process runs threads (Prefect), which fork does not copy safely
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        _pool = pool
        try:
            yield
        finally:
            _pool = None


def run(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a worker process when a pool is open, else here (one call at a time)."""
    if _pool is None:
        with _inline:
            return fn(*args)
    return _pool.submit(fn, *args).result()
