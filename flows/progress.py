"""What a user watching a terminal sees while a run goes: a bar per stage with documents/s
and an ETA on a terminal, one plain line per finished stage elsewhere, nothing with --quiet.

The CLI installs a reporter; the flow and its tasks (threads of the flow's process) report
to it. Outside the CLI (tests, deployments) nothing is installed and reporting does nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO


class Reporter(Protocol):
    def stage(self, name: str, total: int, unit: str = "docs") -> None: ...
    def advance(self, amount: int) -> None: ...
    def close(self) -> None: ...


class Silent:
    def stage(self, name: str, total: int, unit: str = "docs") -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def close(self) -> None:
        pass


class PlainLines:
    """One line per finished stage: for logs, CI and anything that is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self._stage: tuple[str, str, float] | None = None
        self._done = 0

    def stage(self, name: str, total: int, unit: str = "docs") -> None:
        self._finish()
        self._stage, self._done = (name, unit, time.perf_counter()), 0

    def advance(self, amount: int) -> None:
        with self._lock:
            self._done += amount

    def close(self) -> None:
        self._finish()

    def _finish(self) -> None:
        if self._stage is None:
            return
        name, unit, started = self._stage
        seconds = time.perf_counter() - started
        rate = f", {self._done / seconds:,.0f} {unit}/s" if seconds > 0 and self._done else ""
        print(
            f"{name}: {self._done:,} {unit} in {seconds:.1f} s{rate}", file=self.stream, flush=True
        )
        self._stage = None


class Bars:
    """rich progress bars, one per stage, with rate and time remaining."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description:<11}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=False,
        )
        self._progress.start()
        self._task = None
        self._lock = threading.Lock()
        self._started = 0.0

    def stage(self, name: str, total: int, unit: str = "docs") -> None:
        with self._lock:
            self._complete()
            self._task = self._progress.add_task(name, total=max(total, 1), unit=unit, rate="")
            self._started = time.perf_counter()

    def advance(self, amount: int) -> None:
        with self._lock:
            if self._task is None:
                return
            self._progress.advance(self._task, amount)
            done = self._progress.tasks[self._task].completed
            seconds = time.perf_counter() - self._started
            unit = self._progress.tasks[self._task].fields["unit"]
            rate = f"{done / seconds:,.0f} {unit}/s" if seconds > 0 else ""
            self._progress.update(self._task, rate=rate)

    def close(self) -> None:
        with self._lock:
            self._complete()
        self._progress.stop()

    def _complete(self) -> None:
        if self._task is not None:
            total = self._progress.tasks[self._task].total
            self._progress.update(self._task, completed=total)
            self._task = None


_reporter: Reporter = Silent()


def current() -> Reporter:
    return _reporter


@contextmanager
def reporting(quiet: bool = False, stream: TextIO | None = None) -> Iterator[Reporter]:
    """Bars on a terminal, plain lines otherwise, nothing when quiet."""
    global _reporter
    stream = stream or sys.stderr
    if quiet:
        reporter: Reporter = Silent()
    elif stream.isatty():
        reporter = Bars()
    else:
        reporter = PlainLines(stream)
    _reporter = reporter
    try:
        yield reporter
    finally:
        reporter.close()
        _reporter = Silent()
