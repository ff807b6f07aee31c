"""Near-duplicate detection: exact duplicates by hash, then MinHash + LSH on what is left.

Fingerprints (exact key, length, signature, band keys) are computed shard by shard, possibly
in other processes; the Deduplicator only ever holds fingerprints, never texts. Documents
kept by earlier runs (the dedup index) come in as `prior`: they are fixed representatives,
so a new document that duplicates one points at it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleaners.config import DedupConfig
from cleaners.dedup.clusters import rank_order, similarity_to, star_clusters
from cleaners.dedup.lsh import band_keys, candidate_pairs, estimated_jaccard
from cleaners.dedup.minhash import MinHasher
from cleaners.dedup.settings import bands_and_rows

EXACT, NEAR = "exact_duplicate", "near_duplicate"


@dataclass(frozen=True)
class Fingerprints:
    """What dedup needs of a batch of documents, row for row."""

    keys: list[bytes] | np.ndarray  # 16-byte hashes of the normalised text (or (n, 2) uint64)
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


def fingerprint_arrow(
    texts: pa.Array | pa.ChunkedArray, config: DedupConfig, minhasher: MinHasher | None = None
) -> Fingerprints:
    """`fingerprint` of an Arrow string array, from its UTF-8 buffer: the texts never become
    str (Arrow's UTF-8 is valid, so its bytes are what `encode` gives and its code points
    what len counts)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    if texts.null_count:
        raise ValueError("a text to fingerprint is missing")
    wide = pa.types.is_large_string(texts.type)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[texts.offset : texts.offset + len(texts) + 1]
    data = texts.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    sketch = (minhasher or hasher(config)).sketch_utf8(data, offsets)
    return Fingerprints(
        keys=sketch.keys,
        lengths=pc.utf8_length(texts).to_numpy().astype(np.int64),
        signatures=sketch.signatures,
        bands=band_keys(sketch.signatures, *bands_and_rows(config.threshold, config.num_perm)),
    )


Ids = Sequence[str] | pa.Array | pa.ChunkedArray  # Arrow string arrays hold 1M ids compactly


@dataclass(frozen=True, eq=False)
class Clusters:
    """The decision for every document added with `add`, in the order added, as arrays.
    `ids` also holds the earlier run's documents first (`n_prior` of them): a new document
    can point at one of those."""

    ids: pa.ChunkedArray  # every document, prior ones first
    n_prior: int
    rep: np.ndarray  # int64, per added document: its representative's position in `ids`
    size: np.ndarray  # int64, per added document: its cluster's size
    sim: np.ndarray  # float64, per added document: estimated Jaccard with its representative
    code: np.ndarray  # int8, per added document: KEPT, or the position of its reason in REASONS

    def columns(self, rows: np.ndarray) -> dict[str, pa.Array]:
        """cluster_id, cluster_size, duplicate_of, similarity and reason of `rows` (positions
        among the added documents; -1: a row without a decision, all null)."""
        missing = rows < 0
        at = np.where(missing, len(self.rep), rows)  # one past the end: a padding entry

        def padded(values: np.ndarray, pad: int | float) -> np.ndarray:
            return np.append(values, np.array(pad, dtype=values.dtype))[at]

        code, rep = padded(self.code, KEPT), padded(self.rep, 0)
        dropped = missing | (code == KEPT)
        reasons = pa.array(np.where(dropped, 0, code), mask=dropped)
        return {
            "cluster_id": self.ids.take(pa.array(rep, mask=missing)),
            "cluster_size": pa.array(padded(self.size, 0), mask=missing),
            "duplicate_of": self.ids.take(pa.array(rep, mask=dropped)),
            "similarity": pa.array(padded(self.sim, 0.0), mask=dropped),
            "reason": pa.array(REASONS, pa.string()).take(reasons),
        }

    @property
    def kept(self) -> np.ndarray:
        return self.code == KEPT

    # the same as plain lists, for small uses (tests, the dedup benchmark)
    @property
    def doc_ids(self) -> list[str]:
        return self.ids.slice(self.n_prior).to_pylist()

    @property
    def cluster_id(self) -> list[str]:
        return self.columns(np.arange(len(self.rep)))["cluster_id"].to_pylist()

    @property
    def cluster_size(self) -> list[int]:
        return self.size.tolist()

    @property
    def duplicate_of(self) -> list[str | None]:
        return self.columns(np.arange(len(self.rep)))["duplicate_of"].to_pylist()

    @property
    def similarity(self) -> list[float | None]:
        return self.columns(np.arange(len(self.rep)))["similarity"].to_pylist()

    @property
    def reason(self) -> list[str | None]:
        return self.columns(np.arange(len(self.rep)))["reason"].to_pylist()


KEPT = -1
REASONS = [EXACT, NEAR]  # Clusters.code: 0 exact, 1 near


def _id_array(doc_ids: Ids) -> pa.ChunkedArray:
    if isinstance(doc_ids, pa.ChunkedArray):
        return doc_ids.cast(pa.string())
    if isinstance(doc_ids, pa.Array):
        return pa.chunked_array([doc_ids.cast(pa.string())])
    return pa.chunked_array([pa.array(list(doc_ids), pa.string())])


class Deduplicator:
    """Holds ids, keys, lengths and band keys of every document (some 160 bytes each), and
    the signatures only of those that share a band with another (loaded at the end when the
    fingerprints were added without them)."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()
        self.size = 0  # documents added with `add`
        self._prior: list[tuple[pa.ChunkedArray, Fingerprints]] = []
        self._current: list[tuple[pa.ChunkedArray, Fingerprints]] = []

    def add_prior(self, doc_ids: Ids, prints: Fingerprints) -> None:
        """Documents kept by an earlier run: representatives that no new document replaces."""
        self._prior.append((_id_array(doc_ids), prints))

    def add(self, doc_ids: Ids, prints: Fingerprints) -> None:
        ids = _id_array(doc_ids)
        self.size += len(ids)
        self._current.append((ids, prints))

    def add_texts(self, doc_ids: Ids, texts: list[str]) -> None:
        self.add(doc_ids, fingerprint(texts, self.config))

    def resolve(self, load_signatures: SignatureLoader | None = None) -> Clusters:
        """Exact groups first (their best-ranked member stands for them), then LSH candidates
        among group leads, verified by estimated Jaccard, then star clusters in rank order.
        Fingerprints added without signatures need `load_signatures`. Call it once: it lets
        go of the fingerprints as it goes."""
        parts = self._prior + self._current
        n_prior = sum(len(d) for d, _ in self._prior)
        self._prior, self._current = [], []  # once: fingerprints go as soon as they are used
        ids = pa.chunked_array(
            [chunk for doc_ids, _ in parts for chunk in doc_ids.chunks], pa.string()
        )
        n = len(ids)
        lengths = np.concatenate([p.lengths for _, p in parts] or [np.empty(0, np.int64)])
        order = np.concatenate(
            [
                np.arange(n_prior, dtype=np.int64),
                n_prior
                + rank_order(lengths[n_prior:], ids.slice(n_prior), self.config.representative),
            ]
        )
        del lengths
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        del order
        keys = _key_matrix([p.keys for _, p in parts])
        lead_of = first_of_groups(keys, rank)
        leads = np.flatnonzero(lead_of == np.arange(n))
        bands = self._bands(parts, leads)
        held = [p.signatures for _, p in parts]
        del parts  # the band keys of every document: only the leads' are needed now
        pairs = candidate_pairs(bands)  # positions in `leads`
        del bands
        involved = np.unique(pairs)  # leads that share a band with another lead
        rows = leads[involved]
        del leads
        signatures = self._signatures(held, rows, load_signatures)  # row for row with `rows`
        del held
        local = np.searchsorted(involved, pairs)  # pairs as positions in `rows`
        del pairs, involved
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
        sim = np.ones(n, dtype=np.float64)  # a document and its exact copies: 1.0
        sim[near] = similarity_to(
            signatures,
            np.searchsorted(rows, lead_of[near]),  # a copy has its lead's signature
            np.searchsorted(rows, rep[near]),
        )
        current = rep[n_prior:]
        sizes = np.bincount(current, minlength=n)
        sizes[:n_prior] += sizes[:n_prior] > 0  # an earlier run's representative counts too
        code = np.full(len(current), KEPT, dtype=np.int8)
        moved = current != np.arange(n_prior, n)
        exact = (keys[n_prior:] == keys[current]).all(axis=1)
        code[moved & exact] = REASONS.index(EXACT)
        code[moved & ~exact] = REASONS.index(NEAR)
        return Clusters(ids, n_prior, current, sizes[current], sim[n_prior:], code)

    def _bands(
        self, parts: list[tuple[pa.ChunkedArray, Fingerprints]], rows: np.ndarray
    ) -> np.ndarray:
        n_bands = bands_and_rows(self.config.threshold, self.config.num_perm)[0]
        return _held([p.bands for _, p in parts], rows, n_bands, np.uint64)

    def _signatures(
        self, held: list[np.ndarray | None], rows: np.ndarray, load: SignatureLoader | None
    ) -> np.ndarray:
        if all(block is not None for block in held):
            return _held(held, rows, self.config.num_perm, np.uint32)
        if load is None:
            raise ValueError("fingerprints were added without signatures: pass load_signatures")
        signatures = load(rows)
        if signatures.shape != (len(rows), self.config.num_perm):
            raise ValueError(f"load_signatures gave {signatures.shape} for {len(rows)} rows")
        return signatures


def _key_matrix(parts: list[list[bytes] | np.ndarray]) -> np.ndarray:
    """16-byte keys (lists of bytes, or (n, 2) uint64 blocks) as one (n, 2) uint64 array."""
    blocks = [p if isinstance(p, np.ndarray) else key_block(p) for p in parts]
    return np.concatenate(blocks) if blocks else np.empty((0, 2), dtype=np.uint64)


def key_block(keys: list[bytes]) -> np.ndarray:
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


def take_rows(
    sizes: Sequence[int],
    fetch: Callable[[int, np.ndarray], np.ndarray],
    rows: np.ndarray,
    width: int,
    dtype: type[np.generic],
) -> np.ndarray:
    """Rows (sorted numbers over blocks of `sizes` rows, stacked) of 2-d blocks without
    stacking them: fetch(k, local) gives block k's rows `local`, asked only for the blocks
    that have a row wanted (so a block can stay on disk until then)."""
    out = np.empty((len(rows), width), dtype=dtype)
    start, filled = 0, 0
    for k, size in enumerate(sizes):
        mine = rows[filled : filled + np.searchsorted(rows[filled:], start + size)]
        if len(mine):
            out[filled : filled + len(mine)] = fetch(k, mine - start)
        filled += len(mine)
        start += size
    return out


def _held(blocks: list[np.ndarray], rows: np.ndarray, width: int, dtype) -> np.ndarray:
    sizes = [len(block) for block in blocks]
    return take_rows(sizes, lambda k, local: blocks[k][local], rows, width, dtype)
