"""Locality-sensitive hashing over signature bands: which documents are worth comparing.

Bands x rows are the ones datasketch's MinHashLSH picks for the threshold and num_perm
(equal weight on false positives and false negatives; 14 x 9 at 0.7 with 128 permutations,
S-curve midpoint (1/14)**(1/9) = 0.746). Band keys are bucketed by sorting, not with a dict,
and every candidate pair is verified afterwards, so a band-key collision costs nothing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ALL_PAIRS_UP_TO = 64  # buckets up to this size give every pair; larger ones a star and a chain


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
    """(i, j) pairs with i < j that share a key in some band; as an (n, 2) int64 array,
    sorted and without repeats. One band at a time: the temporaries are a column, not the
    whole (n, bands) matrix."""
    n = keys.shape[0]
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    codes = []
    for band in range(keys.shape[1]):
        column = np.ascontiguousarray(keys[:, band])[None, :]
        order = np.argsort(column[0], kind="stable")[None, :]
        pairs = np.empty((_bucket_pairs(column, order, None), 2), dtype=np.int64)
        _bucket_pairs(column, order, pairs)
        codes.append(np.unique(pairs[:, 0] * n + pairs[:, 1]))
    unique = np.unique(np.concatenate(codes))
    return np.stack([unique // n, unique % n], axis=1)


@njit(cache=True, nogil=True)
def _bucket_pairs(columns, orders, out):
    """Count (out is None) or write the pairs of every bucket of equal keys, band by band."""
    written = 0
    members = np.empty(orders.shape[1], dtype=np.int64)
    for band in range(columns.shape[0]):
        column, order = columns[band], orders[band]
        start = 0
        while start < order.shape[0]:
            end = start + 1
            while end < order.shape[0] and column[order[end]] == column[order[start]]:
                end += 1
            size = end - start
            if size > 1:
                bucket = members[:size]
                bucket[:] = np.sort(order[start:end])
                if size <= ALL_PAIRS_UP_TO:
                    for x in range(size):
                        for y in range(x + 1, size):
                            if out is not None:
                                out[written, 0], out[written, 1] = bucket[x], bucket[y]
                            written += 1
                else:  # a star from the first member and a chain: connected, linear
                    for x in range(1, size):
                        if out is not None:
                            out[written, 0], out[written, 1] = bucket[0], bucket[x]
                            out[written + 1, 0], out[written + 1, 1] = bucket[x - 1], bucket[x]
                        written += 2
            start = end
    return written


def estimated_jaccard(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Share of equal signature values for each pair."""
    return _agreement(signatures, pairs[:, 0].copy(), pairs[:, 1].copy())


@njit(cache=True, nogil=True)
def _agreement(signatures, left, right):
    out = np.empty(left.shape[0], dtype=np.float64)
    width = signatures.shape[1]
    for k in range(left.shape[0]):
        a, b = signatures[left[k]], signatures[right[k]]
        same = 0
        for p in range(width):
            same += a[p] == b[p]
        out[k] = same / width
    return out
