"""Near-duplicate detection: exact duplicates by hash, then MinHash + LSH on what is left.

Fingerprints (exact key, length, signature, band keys) are computed shard by shard, possibly
in other processes; the Deduplicator only ever holds fingerprints, never texts. Documents
kept by earlier runs (the dedup index) come in as `prior`: they are fixed representatives,
so a new document that duplicates one points at it.
"""

from __future__ import annotations

from collections.abc import Callable
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
    signatures: np.ndarray | None  # (n, num_perm) uint32 MinHash signatures; None: load later
    bands: np.ndarray  # (n, bands) uint64 LSH band keys


# Given sorted row numbers (prior documents first, then the others, in the order added),
# their signatures: lets a caller keep signatures on disk until the few that are compared.
SignatureLoader = Callable[[np.ndarray], np.ndarray]


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
    """Holds keys, lengths and band keys of every document (about 130 bytes each), and the
    signatures only of those that share a band with another (loaded at the end when the
    fingerprints were added without them)."""

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

    def resolve(self, load_signatures: SignatureLoader | None = None) -> Clusters:
        """Exact groups first (their best-ranked member stands for them), then LSH candidates
        among group leads, verified by estimated Jaccard, then star clusters in rank order.
        Fingerprints added without signatures need `load_signatures`."""
        parts = self._prior + self._current
        n_prior = sum(len(d) for d, _ in self._prior)
        ids = [doc_id for doc_ids, _ in parts for doc_id in doc_ids]
        n = len(ids)
        lengths = np.concatenate([p.lengths for _, p in parts] or [np.empty(0, np.int64)])
        order = np.concatenate(
            [
                np.arange(n_prior, dtype=np.int64),
                n_prior + rank_order(lengths[n_prior:], ids[n_prior:], self.config.representative),
            ]
        )
        del lengths
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        keys = _key_matrix([key for _, p in parts for key in p.keys])
        lead_of = first_of_groups(keys, rank)
        leads = np.flatnonzero(lead_of == np.arange(n))
        pairs = candidate_pairs(self._bands(parts, leads))  # positions in `leads`
        involved = np.unique(pairs)  # leads that share a band with another lead
        rows = leads[involved]
        signatures = self._signatures(parts, rows, load_signatures)  # row for row with `rows`
        local = np.searchsorted(involved, pairs)  # pairs as positions in `rows`
        verified = local[estimated_jaccard(signatures, local) >= self.config.threshold]
        fixed = rows < n_prior
        rep = np.arange(n)
        if len(rows):
            by_rank = np.argsort(rank[rows], kind="stable")
            rep[rows] = rows[
                star_clusters(by_rank, fixed, verified, signatures, self.config.threshold)
            ]
        rep = rep[lead_of]
        rep[:n_prior] = np.arange(n_prior)
        near = np.flatnonzero(rep != lead_of)  # joined another group's representative
        similarity = np.ones(n, dtype=np.float64)  # a document and its exact copies: 1.0
        similarity[near] = similarity_to(
            signatures,
            np.searchsorted(rows, lead_of[near]),  # a copy has its lead's signature
            np.searchsorted(rows, rep[near]),
        )
        return self._clusters(ids, keys, similarity, rep, n_prior)

    def _bands(self, parts: list[tuple[list[str], Fingerprints]], rows: np.ndarray) -> np.ndarray:
        n_bands = bands_and_rows(self.config.threshold, self.config.num_perm)[0]
        return take_rows([p.bands for _, p in parts], rows, n_bands, np.uint64)

    def _signatures(
        self,
        parts: list[tuple[list[str], Fingerprints]],
        rows: np.ndarray,
        load: SignatureLoader | None,
    ) -> np.ndarray:
        if all(p.signatures is not None for _, p in parts):
            blocks = [p.signatures for _, p in parts]
            return take_rows(blocks, rows, self.config.num_perm, np.uint32)
        if load is None:
            raise ValueError("fingerprints were added without signatures: pass load_signatures")
        signatures = load(rows)
        if signatures.shape != (len(rows), self.config.num_perm):
            raise ValueError(f"load_signatures gave {signatures.shape} for {len(rows)} rows")
        return signatures

    def _clusters(
        self,
        ids: list[str],
        keys: np.ndarray,
        similarity: np.ndarray,
        rep: np.ndarray,
        n_prior: int,
    ) -> Clusters:
        current = rep[n_prior:]
        sizes = np.bincount(current, minlength=len(ids))
        sizes[:n_prior] += sizes[:n_prior] > 0  # an earlier run's representative counts too
        duplicate_of: list[str | None] = []
        sims: list[float | None] = []
        reason: list[str | None] = []
        same_key = (keys[n_prior:] == keys[current]).all(axis=1).tolist()
        for i, (r, exact, sim) in enumerate(
            zip(current.tolist(), same_key, similarity[n_prior:].tolist(), strict=True),
            start=n_prior,
        ):
            if i == r:
                duplicate_of.append(None)
                sims.append(None)
                reason.append(None)
            else:
                duplicate_of.append(ids[r])
                sims.append(1.0 if exact else sim)
                reason.append(EXACT if exact else NEAR)
        return Clusters(
            doc_ids=ids[n_prior:],
            cluster_id=[ids[r] for r in current.tolist()],
            cluster_size=sizes[current].tolist(),
            duplicate_of=duplicate_of,
            similarity=sims,
            reason=reason,
        )


def _key_matrix(keys: list[bytes]) -> np.ndarray:
    """16-byte keys as an (n, 2) uint64 array."""
    return np.frombuffer(b"".join(keys), dtype=np.uint64).reshape(len(keys), 2)


def first_of_groups(keys: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """For each row, the best-ranked (lowest `rank`) row with the same key (n, 2)."""
    n = len(keys)
    by_key = np.lexsort((rank, keys[:, 1], keys[:, 0]))
    sorted_keys = keys[by_key]
    starts = np.ones(n, dtype=np.bool_)
    starts[1:] = (sorted_keys[1:] != sorted_keys[:-1]).any(axis=1)
    first = by_key[np.flatnonzero(starts)]
    lead_of = np.empty(n, dtype=np.int64)
    lead_of[by_key] = first[np.cumsum(starts) - 1]
    return lead_of


def take_rows(blocks: list[np.ndarray], rows: np.ndarray, width: int, dtype) -> np.ndarray:
    """Rows (sorted numbers over the blocks stacked) of 2-d blocks, without stacking them."""
    out = np.empty((len(rows), width), dtype=dtype)
    start, filled = 0, 0
    for block in blocks:
        end = start + len(block)
        mine = rows[filled : filled + np.searchsorted(rows[filled:], end)]
        out[filled : filled + len(mine)] = block[mine - start]
        filled += len(mine)
        start = end
    return out
