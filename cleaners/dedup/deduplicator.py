"""Near-duplicate detection: exact duplicates by hash, then MinHash + LSH on what is left.

Fingerprints (exact key, length, signature, band keys) are computed shard by shard, possibly
in other processes; the Deduplicator only ever holds fingerprints, never texts. Documents
kept by earlier runs (the dedup index) come in as `prior`: they are fixed representatives,
so a new document that duplicates one points at it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleaners.config import DedupConfig
from cleaners.dedup.clusters import rank_order, similarity_to, star_clusters
from cleaners.dedup.lsh import band_keys, candidate_pairs, estimated_jaccard
from cleaners.dedup.minhash import MinHasher
from cleaners.dedup.settings import bands_and_rows

EXACT, NEAR = "exact_duplicate", "near_duplicate"


@dataclass(frozen=True)
class Fingerprints:
    """What dedup needs of a batch of documents, row for row."""

    keys: list[bytes]  # 16-byte hash of the normalised text: equal keys, exact duplicates
    lengths: np.ndarray  # int64, characters of cleaned text (the representative rule uses it)
    signatures: np.ndarray  # (n, num_perm) uint32 MinHash signatures
    bands: np.ndarray  # (n, bands) uint64 LSH band keys


def hasher(config: DedupConfig) -> MinHasher:
    return MinHasher(config.num_perm, config.seed, config.ngram, config.shingle)


def fingerprint(texts: list[str], config: DedupConfig, minhasher: MinHasher | None = None):
    """Fingerprints of cleaned texts (pass a MinHasher to reuse it across batches)."""
    sketch = (minhasher or hasher(config)).sketch(texts)
    return Fingerprints(
        keys=sketch.keys,
        lengths=np.fromiter((len(t) for t in texts), np.int64, len(texts)),
        signatures=sketch.signatures,
        bands=band_keys(sketch.signatures, *bands_and_rows(config.threshold, config.num_perm)),
    )


@dataclass(frozen=True)
class Clusters:
    """One entry per document added with `add`, in the order they were added."""

    doc_ids: list[str]
    cluster_id: list[str]
    cluster_size: list[int]
    duplicate_of: list[str | None]
    similarity: list[float | None]
    reason: list[str | None]  # None for kept documents

    @property
    def kept(self) -> list[bool]:
        return [r is None for r in self.reason]


class Deduplicator:
    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()
        self.doc_ids: list[str] = []
        self._prior: list[tuple[list[str], Fingerprints]] = []
        self._current: list[tuple[list[str], Fingerprints]] = []

    def add_prior(self, doc_ids: list[str], prints: Fingerprints) -> None:
        """Documents kept by an earlier run: representatives that no new document replaces."""
        self._prior.append((doc_ids, prints))

    def add(self, doc_ids: list[str], prints: Fingerprints) -> None:
        self.doc_ids.extend(doc_ids)
        self._current.append((doc_ids, prints))

    def add_texts(self, doc_ids: list[str], texts: list[str]) -> None:
        self.add(doc_ids, fingerprint(texts, self.config))

    def resolve(self) -> Clusters:
        """Exact groups first (their best-ranked member stands for them), then LSH candidates
        among group leads, verified by estimated Jaccard, then star clusters in rank order."""
        ids, keys, lengths, signatures, bands = self._stack(self._prior + self._current)
        n_prior = sum(len(d) for d, _ in self._prior)
        n = len(ids)
        order = np.concatenate(
            [
                np.arange(n_prior, dtype=np.int64),
                n_prior + rank_order(lengths[n_prior:], ids[n_prior:], self.config.representative),
            ]
        )
        lead_of = np.empty(n, dtype=np.int64)
        first_with_key: dict[bytes, int] = {}
        for i in order.tolist():
            lead_of[i] = first_with_key.setdefault(keys[i], i)
        leads = np.flatnonzero(lead_of == np.arange(n))
        pairs = candidate_pairs(bands[leads])
        verified = pairs[estimated_jaccard(signatures[leads], pairs) >= self.config.threshold]
        fixed = np.zeros(n, dtype=np.bool_)
        fixed[:n_prior] = True
        rep = np.arange(n)
        if len(leads):
            rank = np.empty(n, dtype=np.int64)
            rank[order] = np.arange(n)
            lead_order = np.argsort(rank[leads], kind="stable")  # positions in `leads`
            lead_rep = star_clusters(
                lead_order, fixed[leads], verified, signatures[leads], self.config.threshold
            )
            rep[leads] = leads[lead_rep]
        rep = rep[lead_of]
        rep[:n_prior] = np.arange(n_prior)
        return self._clusters(ids, keys, signatures, rep, n_prior)

    def _clusters(
        self,
        ids: list[str],
        keys: list[bytes],
        signatures: np.ndarray,
        rep: np.ndarray,
        n_prior: int,
    ) -> Clusters:
        current = rep[n_prior:]
        sizes = np.bincount(current, minlength=len(ids))
        sizes[:n_prior] += sizes[:n_prior] > 0  # an earlier run's representative counts too
        similarity = similarity_to(signatures, np.arange(n_prior, len(ids)), current)
        duplicate_of: list[str | None] = []
        sims: list[float | None] = []
        reason: list[str | None] = []
        for i, r in enumerate(current.tolist(), start=n_prior):
            if i == r:
                duplicate_of.append(None)
                sims.append(None)
                reason.append(None)
            elif keys[i] == keys[r]:
                duplicate_of.append(ids[r])
                sims.append(1.0)
                reason.append(EXACT)
            else:
                duplicate_of.append(ids[r])
                sims.append(float(similarity[i - n_prior]))
                reason.append(NEAR)
        return Clusters(
            doc_ids=ids[n_prior:],
            cluster_id=[ids[r] for r in current.tolist()],
            cluster_size=sizes[current].tolist(),
            duplicate_of=duplicate_of,
            similarity=sims,
            reason=reason,
        )

    def _stack(self, parts: list[tuple[list[str], Fingerprints]]):
        num_perm = self.config.num_perm
        n_bands = bands_and_rows(self.config.threshold, num_perm)[0]
        ids = [doc_id for doc_ids, _ in parts for doc_id in doc_ids]
        keys = [key for _, p in parts for key in p.keys]
        lengths = np.concatenate([p.lengths for _, p in parts] or [np.empty(0, np.int64)])
        signatures = np.concatenate(
            [p.signatures for _, p in parts] or [np.empty((0, num_perm), np.uint32)]
        )
        bands = np.concatenate([p.bands for _, p in parts] or [np.empty((0, n_bands), np.uint64)])
        return ids, keys, lengths, signatures, bands
