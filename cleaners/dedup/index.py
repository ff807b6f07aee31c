"""The dedup index's header: the settings that made its signatures and band keys.

An index made with other settings cannot be mixed with this run's fingerprints (signatures
of another seed or shingling are not comparable; other bands give other keys; another
threshold would have kept other documents), so runs compare headers before any work.
"""

from __future__ import annotations

from typing import Any

from cleaners.config import DedupConfig
from cleaners.dedup.settings import SCHEME, bands_and_rows
from cleaners.dedup.shingles import HASH_NAME

FORMAT = 1


def index_settings(config: DedupConfig) -> dict[str, Any]:
    """What an index's signatures and decisions depend on (not the representative rule: an
    earlier run's representatives stay representatives whatever the rule)."""
    bands, rows = bands_and_rows(config.threshold, config.num_perm)
    return {
        "format": FORMAT,
        "scheme": SCHEME,
        "hash": HASH_NAME,
        "shingle": config.shingle,
        "ngram": config.ngram,
        "num_perm": config.num_perm,
        "seed": config.seed,
        "threshold": config.threshold,
        "bands": bands,
        "rows": rows,
    }


def differences(index: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """Each setting that differs, as 'name: <index value> in the index, <run value> now'."""
    names = sorted(set(index) | set(run))
    return [
        f"{name}: {index.get(name)!r} in the index, {run.get(name)!r} now"
        for name in names
        if index.get(name) != run.get(name)
    ]
