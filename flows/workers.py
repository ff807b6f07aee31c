"""Process-level parallelism for CPU-bound shard work, under Prefect's thread task runner.

Prefect tasks stay in the flow's process (so ephemeral mode starts one API server, not one per
worker); each task hands its shard to a pool of worker processes that import only the pure
stage functions. With one worker everything runs inline.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
_pool: ProcessPoolExecutor | None = None
_pool_size = 0  # processes of _pool
_workers = 1
_starting = threading.Lock()
# Without a pool, shard tasks (one thread each under Prefect's thread runner) take turns: on
# one core, running them all at once would only hold every shard's batch in memory together.
_inline = threading.Lock()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def worker_pool(workers: int) -> Iterator[None]:
    """Shard stages run in `workers` processes while open (inline with one). The processes
    start with the first stage run and again after `release`; processes `started_early`
    started are used when there are as many, else stopped first."""
    global _workers
    if _pool_size != workers:
        release()
    _workers = workers
    try:
        yield
    finally:
        release()
        _workers = 1


@contextmanager
def started_early(workers: int, warm_up: Callable[..., Any], *args: Any) -> Iterator[None]:
    """Start `workers` processes now, each running warm_up(*args) before any work, and stop
    them on leaving unless a worker_pool of that size took them over. The command line starts
    them before Prefect's start-up (its imports, the ephemeral server), which then overlaps
    what a process costs before its first shard: some 2 s of imports, stoplists and compiled
    kernels each, otherwise paid inside the run."""
    global _pool, _pool_size
    if workers > 1:
        with _starting:
            if _pool is None:
                _pool, _pool_size = _spawned(workers, warm_up, args), workers
                for _ in range(workers):  # each submit with no idle process spawns one
                    _pool.submit(os.getpid)
    try:
        yield
    finally:
        release()


def release() -> None:
    """Stop the worker processes (their imports and caches go back to the system); a later
    `run` starts new ones."""
    global _pool, _pool_size
    with _starting:
        pool, _pool, _pool_size = _pool, None, 0
    if pool is not None:
        pool.shutdown(wait=True)


def _spawned(
    workers: int, warm_up: Callable[..., Any] | None = None, args: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    # spawn, not fork: the flow's process runs threads (Prefect), which fork does not copy safely
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_warming,
        initargs=(warm_up, *args),
    )


_in_worker = False  # set in the pool's processes, where each call ends by freezing the heap


def _warming(warm_up: Callable[..., Any] | None, *args: Any) -> None:
    """warm_up(*args) (when given), whatever it raises: an initializer's error would break
    the pool, and warming up only saves time (the stage that needs what failed to load says
    why). Then the heap is frozen."""
    global _in_worker
    _in_worker = True
    if warm_up is not None:
        with suppress(Exception):
            warm_up(*args)
    _freeze_heap()


def _freeze_heap() -> None:
    """What the process holds now (modules, stoplists, compiled rules, caches) out of the
    cyclic garbage collector's reach: its collections otherwise walk those ~200k objects
    again and again while a stage allocates (0.87 s of an 8 s shard of generated text, 0.14 s
    of an HTML shard's 4 s; 0.35 s and 0.01 s frozen). A worker's heap after a call is
    such long-lived state: the call's own data is freed by then, and the collection first
    finds what cycles it left."""
    gc.collect()
    gc.freeze()


def run(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a worker process when the pool has more than one, else here (one call at
    a time)."""
    global _pool, _pool_size
    if _workers <= 1:
        with _inline:
            return _returning_memory(fn, *args)
    with _starting:
        if _pool is None:
            _pool, _pool_size = _spawned(_workers), _workers
        pool = _pool
    return pool.submit(_returning_memory, fn, *args).result()


def run_alone(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a process started for it, with the workers stopped first: a corpus-wide
    step then has the memory to itself, not beside workers full of the cleaners' caches."""
    release()
    with _spawned(1) as alone:
        return alone.submit(_returning_memory, fn, *args).result()


def _returning_memory(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args), then the freed heap back to the system: a stage's batches leave glibc's
    arenas full of free blocks that the next stage may not reuse, and peak RSS is the bar.
    In a worker, the heap is frozen again first: a stage's batches are freed by reference
    counting (a collection after a call finds 0-33 objects), and with the heap frozen the
    collection walks only what the call left, 4-7 ms (an unfrozen full one: 70-230 ms)."""
    try:
        return fn(*args)
    finally:
        if _in_worker:
            _freeze_heap()  # what the first call loaded (without a warm-up), a later call cached
        if _libc is not None:
            _libc.malloc_trim(0)
        arrow = sys.modules.get("pyarrow")  # and Arrow's own allocator's (when loaded)
        if arrow is not None:
            arrow.default_memory_pool().release_unused()


def _load_libc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_libc = _load_libc()


@dataclass(frozen=True)
class Stage:
    """A function of flows/stages.py by name, imported where it runs: the flow's process then
    need not load what the stages need (numba, scipy, trafilatura, jusText's stoplists: some
    170 MB) when worker processes do the work."""

    name: str

    def __call__(self, *args: Any) -> Any:
        return getattr(importlib.import_module("flows.stages"), self.name)(*args)


class _Stages:
    def __getattr__(self, name: str) -> Stage:
        return Stage(name)


stages = _Stages()  # stages.clean is Stage("clean")
