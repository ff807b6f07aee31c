"""Locality-sensitive hashing over signature bands: which documents are worth comparing."""

from __future__ import annotations

from functools import cache

import numpy as np
from datasketch.lsh import _optimal_param

_RUN_ALL_PAIRS = 64  # buckets up to this size give every pair; larger ones a star and a chain


@cache
def bands_and_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """The bands x rows datasketch's MinHashLSH would choose (14 x 9 at 0.7 for 128)."""
    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): equal keys mean an equal band (up to collisions,
    which verification removes)."""
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    keys = np.zeros((len(signatures), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            keys = (keys ^ sig[:, :, r]) * np.uint64(0x100000001B3)  # FNV-1a over the rows
            keys ^= keys >> np.uint64(29)
    return keys


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """(i, j) pairs with i < j that share a key in some band; as an (n, 2) int64 array."""
    pairs: list[np.ndarray] = []
    for band in range(keys.shape[1]):
        column = keys[:, band]
        order = np.argsort(column, kind="stable")
        sorted_keys = column[order]
        boundaries = np.flatnonzero(np.diff(sorted_keys)) + 1
        starts = np.concatenate(([0], boundaries))
        ends = np.concatenate((boundaries, [len(sorted_keys)]))
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            pairs.append(_bucket_pairs(np.sort(order[start:end])))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(pairs), axis=0)


def _bucket_pairs(members: np.ndarray) -> np.ndarray:
    if len(members) <= _RUN_ALL_PAIRS:
        i, j = np.triu_indices(len(members), k=1)
        return np.stack([members[i], members[j]], axis=1)
    star = np.stack([np.full(len(members) - 1, members[0]), members[1:]], axis=1)
    chain = np.stack([members[:-1], members[1:]], axis=1)
    return np.concatenate([star, chain])


def estimated_jaccard(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Share of equal signature values for each pair."""
    if len(pairs) == 0:
        return np.empty(0, dtype=np.float64)
    return (signatures[pairs[:, 0]] == signatures[pairs[:, 1]]).mean(axis=1)
