"""MinHash signatures of many documents at once, in a compiled kernel (numba).

They equal datasketch's `MinHash(num_perm, seed, scheme="affine32",
hashfunc=shingles.shingle_hash)` fed `shingles.shingles(text, n, kind)`: the permutations are
datasketch's own (drawn by datasketch for the seed), each shingle's 32-bit hash is pre-mixed
with MurmurHash3's fmix32 and permuted by a*h+b mod 2**32, and each value is the minimum over
the document's shingles. Python only joins the UTF-8 bytes of a batch into one buffer; the
kernel normalises (lowercase, whitespace), tokenises, hashes and takes the minima, and hands
back the normalised bytes, whose xxh3-128 is the exact-duplicate key. One document at a time
on one core: parallelism is across shards (flows/workers.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import xxhash
from numba import njit

from cleaners.dedup.settings import SCHEME
from cleaners.dedup.shingles import (
    COMBINE,
    FNV_OFFSET,
    FNV_PRIME,
    ShingleKind,
    encode,
    lowercase_map,
    whitespace,
)

BATCH_BYTES = 4 << 20  # text per kernel call: bounds the buffers


@cache
def _tables() -> tuple[np.ndarray, ...]:
    """shingles.py's normalisation as arrays: ASCII lowercase and whitespace; the other
    whitespace code points; the other code points that lowercase, and their UTF-8."""
    lower = lowercase_map()
    ascii_lower = np.arange(128, dtype=np.uint8)
    ascii_lower[[c for c in lower if c < 128]] = [ord(lower[c]) for c in lower if c < 128]
    space = np.array(whitespace(), dtype=np.int64)
    ascii_space = np.zeros(128, dtype=np.bool_)
    ascii_space[space[space < 128]] = True
    wide = sorted(c for c in lower if c >= 128)
    mapped = [encode(lower[c]) for c in wide]
    ends = np.cumsum([len(m) for m in mapped], dtype=np.int64)
    mapped_bytes = np.frombuffer(b"".join(mapped), dtype=np.uint8)
    return (
        ascii_lower,
        ascii_space,
        space[space >= 128],
        np.array(wide, dtype=np.int64),
        ends,
        mapped_bytes,
    )


class Sketches:
    """Signatures and exact keys of a batch of documents, row for row."""

    def __init__(self, signatures: np.ndarray, keys: list[bytes]) -> None:
        self.signatures, self.keys = signatures, keys


class MinHasher:
    """Signatures of many documents as one (n_docs, num_perm) uint32 array."""

    scheme = SCHEME

    def __init__(
        self, num_perm: int = 128, seed: int = 1, ngram: int = 5, kind: ShingleKind = "word"
    ) -> None:
        self.num_perm, self.seed, self.ngram, self.kind = num_perm, seed, ngram, kind
        from datasketch import MinHash  # here: datasketch loads scipy (70 MB)

        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        self._a = np.ascontiguousarray(a, dtype=np.uint32)
        self._b = np.ascontiguousarray(b, dtype=np.uint32)

    def sketch(self, texts: Sequence[str]) -> Sketches:
        """Signatures and exact keys (xxh3-128 of the normalised text) of every text."""
        signatures = np.empty((len(texts), self.num_perm), dtype=np.uint32)
        keys: list[bytes] = []
        start = 0
        while start < len(texts):
            encoded, size = [], 0
            while start + len(encoded) < len(texts) and (not encoded or size < BATCH_BYTES):
                encoded.append(encode(texts[start + len(encoded)]))
                size += len(encoded[-1])
            stop = start + len(encoded)
            ends = np.cumsum([len(e) for e in encoded], dtype=np.int64)
            buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
            keys += self._sketch(buffer, ends, signatures[start:stop])
            start = stop
        return Sketches(signatures, keys)

    def sketch_utf8(self, data: np.ndarray, offsets: np.ndarray) -> Sketches:
        """`sketch` of texts already in one UTF-8 buffer, text i at data[offsets[i] :
        offsets[i + 1]] (an Arrow string array's layout): no str is made or encoded."""
        n = len(offsets) - 1
        signatures = np.empty((n, self.num_perm), dtype=np.uint32)
        keys: list[bytes] = []
        offsets = offsets.astype(np.int64)
        start = 0
        while start < n:  # up to the first text that reaches BATCH_BYTES, as `sketch` does
            stop = min(n, int(np.searchsorted(offsets, offsets[start] + BATCH_BYTES)))
            buffer = data[offsets[start] : offsets[stop]]
            keys += self._sketch(
                buffer, offsets[start + 1 : stop + 1] - offsets[start], signatures[start:stop]
            )
            start = stop
        return Sketches(signatures, keys)

    def _sketch(self, buffer: np.ndarray, ends: np.ndarray, out: np.ndarray) -> list[bytes]:
        """The kernel over one buffer of texts (ending at `ends`): signatures into `out`,
        and the exact keys."""
        normalised = np.empty(2 * len(buffer) + 1, dtype=np.uint8)  # lowercasing may grow
        norm_ends = np.empty(len(ends), dtype=np.int64)
        _sketch(
            buffer,
            ends,
            *_tables(),
            self.ngram,
            self.kind == "char",
            self._a,
            self._b,
            normalised,
            norm_ends,
            out,
        )
        view = memoryview(normalised)
        keys = []
        begin = 0
        for end in norm_ends.tolist():
            keys.append(xxhash.xxh3_128_digest(view[begin:end]))
            begin = end
        return keys

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        return self.sketch(texts).signatures

    def signature(self, text: str) -> np.ndarray:
        return self.sketch([text]).signatures[0]


@njit(cache=True, nogil=True)
def _fmix64(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@njit(cache=True, nogil=True)
def _fmix32(h: np.uint32) -> np.uint32:
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h ^= h >> np.uint32(13)
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return h ^ (h >> np.uint32(16))


@njit(cache=True, nogil=True)
def _token_hashes(buffer, start, end, chars, out):
    """FNV-1a of each token of buffer[start:end] into out; returns how many. Words end at a
    space; characters at the next byte that does not continue a UTF-8 sequence."""
    count = 0
    h = np.uint64(FNV_OFFSET)
    open_token = False
    for i in range(start, end):
        c = buffer[i]
        if chars:
            if open_token and (c & 0xC0) != 0x80:
                out[count] = h
                count += 1
                h = np.uint64(FNV_OFFSET)
        elif c == 32:
            if open_token:
                out[count] = h
                count += 1
                h = np.uint64(FNV_OFFSET)
                open_token = False
            continue
        h = (h ^ np.uint64(c)) * np.uint64(FNV_PRIME)
        open_token = True
    if open_token:
        out[count] = h
        count += 1
    return count


@njit(cache=True, nogil=True)
def _sketch(
    buffer,
    ends,
    ascii_lower,
    ascii_space,
    space,
    wide,
    wide_ends,
    mapped,
    n,
    chars,
    a,
    b,
    normalised,
    norm_ends,
    out,
):
    """Normalise each document into `normalised` (ending at norm_ends), then its signature."""
    num_perm = a.shape[0]
    longest = 0
    begin = 0
    for d in range(ends.shape[0]):
        longest = max(longest, ends[d] - begin)
        begin = ends[d]
    token_hashes = np.empty(2 * longest + 1, dtype=np.uint64)
    row = np.empty(num_perm, dtype=np.uint32)
    begin = 0
    o = 0
    for d in range(ends.shape[0]):
        written, count = _normalise(
            buffer,
            begin,
            ends[d],
            ascii_lower,
            ascii_space,
            space,
            wide,
            wide_ends,
            mapped,
            normalised[o:],
            None if chars else token_hashes,
        )
        begin = ends[d]
        if chars:
            count = _token_hashes(normalised, o, o + written, True, token_hashes)
        o += written
        norm_ends[d] = o
        row[:] = np.uint32(0xFFFFFFFF)
        k = min(n, count)
        for j in range(count - k + 1 if count else 0):
            g = token_hashes[j]
            for m in range(1, k):
                g = g * np.uint64(COMBINE) + token_hashes[j + m]
            h = _fmix32(np.uint32(_fmix64(g) & np.uint64(0xFFFFFFFF)))
            for p in range(num_perm):
                row[p] = min(row[p], np.uint32(a[p] * h + b[p]))
        out[d, :] = row


@njit(cache=True, nogil=True)
def _normalise(
    buffer, start, end, ascii_lower, ascii_space, space, wide, wide_ends, mapped, out, words
):
    """shingles.normalise of buffer[start:end] (UTF-8) into out; with `words` given, the FNV-1a
    hash of each word into it on the way (one pass). Returns (bytes written, words hashed)."""
    o = 0
    count = 0
    h = np.uint64(FNV_OFFSET)
    hashing = words is not None
    pending_space = False
    i = start
    while i < end:
        c = buffer[i]
        if c < 0x80:
            if ascii_space[c]:
                pending_space = o > 0
                i += 1
                continue
            if pending_space:
                out[o] = 32
                o += 1
                pending_space = False
                if hashing:
                    words[count] = h
                    count += 1
                    h = np.uint64(FNV_OFFSET)
            low = ascii_lower[c]
            out[o] = low
            o += 1
            if hashing:
                h = (h ^ np.uint64(low)) * np.uint64(FNV_PRIME)
            i += 1
            continue
        if c >= 0xF0:
            length, cp = 4, np.int64(c & 0x07)
        elif c >= 0xE0:
            length, cp = 3, np.int64(c & 0x0F)
        else:
            length, cp = 2, np.int64(c & 0x1F)
        for k in range(1, length):
            cp = (cp << 6) | np.int64(buffer[i + k] & 0x3F)
        at = np.searchsorted(space, cp)
        if at < space.shape[0] and space[at] == cp:
            pending_space = o > 0
            i += length
            continue
        if pending_space:
            out[o] = 32
            o += 1
            pending_space = False
            if hashing:
                words[count] = h
                count += 1
                h = np.uint64(FNV_OFFSET)
        at = np.searchsorted(wide, cp)
        if at < wide.shape[0] and wide[at] == cp:
            first, last, source = wide_ends[at - 1] if at else 0, wide_ends[at], mapped
        else:
            first, last, source = i, i + length, buffer
        for k in range(first, last):
            out[o] = source[k]
            o += 1
            if hashing:
                h = (h ^ np.uint64(source[k])) * np.uint64(FNV_PRIME)
        i += length
    if hashing and o > 0:
        words[count] = h
        count += 1
    return o, count
