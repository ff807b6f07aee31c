"""Near-duplicate detection: exact duplicates by hash, then MinHash + LSH on what is left.

Fingerprints (exact key, length, signature) are computed shard by shard, possibly in other
processes; the Deduplicator only ever holds fingerprints, never texts.
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
class Fingerprints:
    """What dedup needs of a batch of documents, row for row."""

    keys: list[bytes]  # 16-byte hash of the normalised text: equal keys, exact duplicates
    lengths: np.ndarray  # int64, characters of cleaned text (the representative rule uses it)
    signatures: np.ndarray  # (n, num_perm) uint32 MinHash signatures


def fingerprint(texts: list[str], config: DedupConfig) -> Fingerprints:
    hasher = MinHasher(config.num_perm, config.seed, config.ngram)
    return Fingerprints(
        keys=[exact_key(t) for t in texts],
        lengths=np.fromiter((len(t) for t in texts), np.int64, len(texts)),
        signatures=hasher.signatures(texts),
    )


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
        self.config = config or DedupConfig()
        self.doc_ids: list[str] = []
        self.lengths: list[int] = []
        self._keys: list[bytes] = []
        self._signatures: list[np.ndarray] = []

    def add(self, doc_ids: list[str], prints: Fingerprints) -> None:
        self.doc_ids.extend(doc_ids)
        self.lengths.extend(prints.lengths.tolist())
        self._keys.extend(prints.keys)
        self._signatures.append(prints.signatures)

    def add_texts(self, doc_ids: list[str], texts: list[str]) -> None:
        self.add(doc_ids, fingerprint(texts, self.config))

    def resolve(self) -> Clusters:
        n = len(self.doc_ids)
        uf = UnionFind(n)
        first_with_key: dict[bytes, int] = {}
        for i, key in enumerate(self._keys):
            uf.union(i, first_with_key.setdefault(key, i))
        unique = np.fromiter(first_with_key.values(), np.int64, len(first_with_key))
        signatures = self._all_signatures()
        bands, rows = bands_and_rows(self.config.threshold, self.config.num_perm)
        unique_sigs = signatures[unique]
        pairs = candidate_pairs(band_keys(unique_sigs, bands, rows))
        similar = pairs[estimated_jaccard(unique_sigs, pairs) >= self.config.threshold]
        for a, b in unique[similar].tolist():
            uf.union(a, b)

        roots = uf.roots()
        reps = choose_representatives(roots, self.lengths, self.doc_ids, self.config.representative)
        sizes = np.bincount(roots, minlength=n)[roots]
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
                similarity.append(float((signatures[i] == signatures[rep]).mean()))
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
