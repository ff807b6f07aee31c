"""Shard work without a process pool runs one call at a time, whatever the threads."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

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
