"""Groups of duplicates, and the one document of each group that is kept."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving; the root is the smallest member."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def roots(self) -> np.ndarray:
        return np.fromiter(
            (self.find(i) for i in range(len(self.parent))), np.int64, len(self.parent)
        )


def choose_representatives(
    roots: np.ndarray, lengths: Sequence[int], doc_ids: Sequence[str], rule: str
) -> np.ndarray:
    """For each document, the index of its cluster's representative.

    "longest": the longest cleaned text, ties broken by the smallest doc_id.
    "first":   the first document in input order.
    """
    if rule == "longest":

        def rank(i: int) -> tuple[int, str]:
            return (-lengths[i], doc_ids[i])
    else:

        def rank(i: int) -> int:
            return i

    best: dict[int, int] = {}
    for i, root in enumerate(roots.tolist()):
        current = best.get(root)
        if current is None or rank(i) < rank(current):
            best[root] = i
    return np.fromiter((best[r] for r in roots.tolist()), np.int64, len(roots))
