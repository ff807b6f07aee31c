"""Where a run writes: a staging folder beside --out, moved into place only when complete."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
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


def make_staging_dir(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.staging-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    return staging


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
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
