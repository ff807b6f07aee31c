"""Where a run writes: a staging folder beside --out, moved into place only when complete."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from flows.io import write_json

MANIFEST = "manifest.json"
STAGING = "output"  # inside the work folder: the output being assembled
PACKAGES = ("clean-corpus", "prefect", "ftfy", "trafilatura", "datasketch", "pyarrow", "numpy")


class OutputError(ValueError):
    """--out names a place the run must not write to."""


def check_output_dir(out: Path) -> None:
    """Refuse to replace a folder that is not an earlier clean-corpus output."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise OutputError(
            f"{out}: not empty and holds no {MANIFEST}; refusing to replace a folder that is "
            "not a clean-corpus output (choose another --out)"
        )


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """One run at a time per --out. An OS file lock: a crashed or killed run releases it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / f".{out.name}.lock"
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise OutputError(
                f"{out}: another clean-corpus run is writing there ({holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()} on {os.uname().nodename}\n")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_key(files: list[Path], config: dict[str, Any]) -> str:
    """What a run's intermediate results depend on: the inputs (path, size, modification
    time), the config and the versions of the code. Equal keys may reuse finished shards."""
    stats = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    blob = json.dumps([stats, config, package_versions()], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def prepare_work_dir(out: Path, key: str) -> Path:
    """The work folder of this run beside `out`: kept from an interrupted run with the same
    key (so finished shards are not redone), anything else left over is removed. The caller
    holds the output lock, so no other run is using these folders."""
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.work-{key}"
    for stale in out.parent.glob(f".{out.name}.work-*"):
        if stale != work:
            shutil.rmtree(stale, ignore_errors=True)
    for previous in out.parent.glob(f".{out.name}.previous-*"):
        if not out.exists():  # killed between the two renames of publish(): restore
            os.replace(previous, out)
        else:
            shutil.rmtree(previous, ignore_errors=True)
    work.mkdir(exist_ok=True)
    return work


def publish(staging: Path, out: Path) -> None:
    """Swap the finished staging folder in; the previous output is readable until then."""
    previous = out.parent / f".{out.name}.previous-{uuid.uuid4().hex[:12]}"
    if out.exists():
        os.replace(out, previous)
    os.replace(staging, out)
    shutil.rmtree(previous, ignore_errors=True)


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    write_json(folder / MANIFEST, manifest)
