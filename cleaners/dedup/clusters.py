"""Groups of duplicates, and the one document of each group that is kept.

Clusters are stars around their representative, not connected components: documents are
taken best first (the representative rule's order), and each joins the cluster of a verified
neighbour only if it is itself similar enough to that cluster's representative; otherwise it
starts a cluster of its own. So a chain of weak links (a ~ b ~ c, a and c unlike) cannot glue
unrelated documents together, and every duplicate is similar to the document it points at.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit


def rank_order(
    lengths: Sequence[int] | np.ndarray, doc_ids: Sequence[str] | pa.ChunkedArray, rule: str
) -> np.ndarray:
    """Documents best first for the representative rule.

    "longest": the longest cleaned text first, ties by the smallest doc_id (in code point
               order: Arrow compares UTF-8 bytes, which orders the same), then input order.
    "first":   input order.
    """
    n = len(doc_ids)
    if rule == "first":
        return np.arange(n, dtype=np.int64)
    if not isinstance(doc_ids, pa.ChunkedArray):
        doc_ids = pa.chunked_array([pa.array(list(doc_ids), pa.string())])
    table = pa.table({"length": np.asarray(lengths, dtype=np.int64), "id": doc_ids})
    order = pc.sort_indices(table, sort_keys=[("length", "descending"), ("id", "ascending")])
    return order.to_numpy().astype(np.int64)


def star_clusters(
    order: np.ndarray,
    fixed: np.ndarray,
    edges: np.ndarray,
    signatures: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Each document's representative (an index), given verified candidate edges (i, j).

    `order` lists the documents best first; `fixed` marks documents that stay their own
    representative (kept by an earlier run: they come first in `order`). A document joins
    the representative of an earlier neighbour it is most similar to, if that similarity
    (estimated Jaccard) is at least `threshold`.
    """
    n = len(order)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    both = np.concatenate([edges, edges[:, ::-1]]) if len(edges) else np.empty((0, 2), np.int64)
    by_source = np.argsort(both[:, 0], kind="stable")
    targets = np.ascontiguousarray(both[by_source, 1])
    starts = np.searchsorted(both[by_source, 0], np.arange(n + 1))
    return _stars(order, rank, fixed, starts, targets, signatures, threshold)


@njit(cache=True, nogil=True)
def _stars(order, rank, fixed, starts, targets, signatures, threshold):
    rep = np.arange(order.shape[0])
    width = signatures.shape[1]
    for x in order:
        if fixed[x]:
            continue
        best, best_sim = x, -1.0
        for k in range(starts[x], starts[x + 1]):
            y = targets[k]
            if rank[y] > rank[x]:
                continue  # not decided yet: it will look at x
            r = rep[y]
            same = 0
            for p in range(width):
                same += signatures[x, p] == signatures[r, p]
            sim = same / width
            if sim > best_sim or (sim == best_sim and rank[r] < rank[best]):
                best, best_sim = r, sim
        if best_sim >= threshold:
            rep[x] = best
    return rep


def similarity_to(signatures: np.ndarray, docs: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of each of `docs` with its representative in `reps`."""
    out = np.empty(len(docs), dtype=np.float64)
    step = 65536  # rows compared at once: bounds the temporary arrays
    for start in range(0, len(docs), step):
        part = slice(start, start + step)
        out[part] = (signatures[docs[part]] == signatures[reps[part]]).mean(axis=1)
    return out
