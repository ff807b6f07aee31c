"""Near-duplicate detection: exact duplicates by hash, then MinHash + LSH on what is left.

Documents are added shard by shard; only a 16-byte key, a length and a signature are kept
per document, never its text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleaners.config import DedupConfig
from cleaners.dedup.clusters import UnionFind, choose_representatives
from cleaners.dedup.lsh import band_keys, bands_and_rows, candidate_pairs, estimated_jaccard
from cleaners.dedup.minhash import MinHasher
from cleaners.dedup.shingles import exact_key

EXACT, NEAR = "exact_duplicate", "near_duplicate"


@dataclass(frozen=True)
class Clusters:
    """One entry per added document, in the order they were added."""

    doc_ids: list[str]
    cluster_id: list[str]
    cluster_size: list[int]
    duplicate_of: list[str | None]
    similarity: list[float | None]
    reason: list[str | None]  # None for kept documents


class Deduplicator:
    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config = config or DedupConfig()
        self.hasher = MinHasher(config.num_perm, config.seed, config.ngram)
        self.doc_ids: list[str] = []
        self.lengths: list[int] = []
        self._keys: list[bytes] = []
        self._first_with_key: dict[bytes, int] = {}
        self._unique: list[int] = []  # indices of documents whose exact key is new
        self._signatures: list[np.ndarray] = []

    def add(self, doc_ids: list[str], texts: list[str]) -> None:
        new_texts = []
        for doc_id, text in zip(doc_ids, texts, strict=True):
            index = len(self.doc_ids)
            key = exact_key(text)
            self.doc_ids.append(doc_id)
            self.lengths.append(len(text))
            self._keys.append(key)
            if key not in self._first_with_key:
                self._first_with_key[key] = index
                self._unique.append(index)
                new_texts.append(text)
        if new_texts:
            self._signatures.append(self.hasher.signatures(new_texts))

    def resolve(self) -> Clusters:
        n = len(self.doc_ids)
        uf = UnionFind(n)
        for i, key in enumerate(self._keys):
            uf.union(i, self._first_with_key[key])
        signatures = self._all_signatures()
        unique = np.asarray(self._unique, dtype=np.int64)
        bands, rows = bands_and_rows(self.config.threshold, self.config.num_perm)
        pairs = candidate_pairs(band_keys(signatures, bands, rows))
        similar = pairs[estimated_jaccard(signatures, pairs) >= self.config.threshold]
        for a, b in unique[similar].tolist():
            uf.union(a, b)

        roots = uf.roots()
        reps = choose_representatives(roots, self.lengths, self.doc_ids, self.config.representative)
        sizes = np.bincount(roots, minlength=n)[roots]
        row_of_unique = np.full(n, -1, dtype=np.int64)
        row_of_unique[unique] = np.arange(len(unique))

        duplicate_of: list[str | None] = []
        similarity: list[float | None] = []
        reason: list[str | None] = []
        for i, rep in enumerate(reps.tolist()):
            if i == rep:
                duplicate_of.append(None)
                similarity.append(None)
                reason.append(None)
                continue
            duplicate_of.append(self.doc_ids[rep])
            if self._keys[i] == self._keys[rep]:
                similarity.append(1.0)
                reason.append(EXACT)
            else:
                a = row_of_unique[self._first_with_key[self._keys[i]]]
                b = row_of_unique[self._first_with_key[self._keys[rep]]]
                similarity.append(float((signatures[a] == signatures[b]).mean()))
                reason.append(NEAR)
        return Clusters(
            doc_ids=list(self.doc_ids),
            cluster_id=[self.doc_ids[r] for r in reps.tolist()],
            cluster_size=sizes.tolist(),
            duplicate_of=duplicate_of,
            similarity=similarity,
            reason=reason,
        )

    def _all_signatures(self) -> np.ndarray:
        if not self._signatures:
            return np.empty((0, self.config.num_perm), dtype=np.uint32)
        return np.concatenate(self._signatures)
