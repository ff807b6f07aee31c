"""What two documents are compared on: the normalised text, its shingles and their hashes.

This module is the reference definition, in plain Python; the kernel in minhash.py computes
the same over UTF-8 bytes (normalising too), and tests hold the two together.

Normalised text: every character lowercased on its own (Python's lower() of that character
alone; this differs from str.lower() of the whole text only for a word-final capital sigma,
which becomes σ here and ς there), then split on Unicode whitespace (str.split()) and joined
with single spaces.

Shingles: the word n-grams of the normalised text (tokens are the space-separated words), or
its character n-grams (tokens are the code points); a text with fewer than n tokens is one
shingle of all of them, an empty text has none. Shingle hash ("fnv1a64-poly"): each token's
UTF-8 bytes are hashed with 64-bit FNV-1a; the n token hashes are combined as a polynomial,
g = g * 0x9E3779B97F4A7C15 + t (mod 2**64), which keeps word order; the MurmurHash3 64-bit
finaliser mixes g, and its low 32 bits are the shingle's hash. That 32-bit value is what
datasketch's MinHash(scheme="affine32", hashfunc=shingle_hash) is fed.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from functools import cache
from typing import Literal

import xxhash

ShingleKind = Literal["word", "char"]
HASH_NAME = "fnv1a64-poly-fmix64-low32"  # recorded in the dedup index header

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
COMBINE = 0x9E3779B97F4A7C15


def normalise(text: str) -> str:
    """Case and whitespace do not make two documents different."""
    return " ".join(text.translate(lowercase_map()).split())


@cache
def lowercase_map() -> dict[int, str]:
    """Each code point that changes when lowercased on its own, and what it becomes.

    Only blocks of code points that lower() changes as a whole are looked at one by one: a
    block's lower() is its characters' own lowercase, one after the other (the final-sigma
    rule too maps Σ to something else), so an unchanged block has no such character. With
    whitespace() from the same blocks: 0.13 s in each process that hashes, not 0.3 s."""
    found = {}
    for start, block in _blocks():
        if block.lower() != block:
            for code, char in enumerate(block, start):
                lowered = char.lower()
                if lowered != char:
                    found[code] = lowered
    return found


@cache
def whitespace() -> tuple[int, ...]:
    """The code points str.split() splits on (blocks without any split into themselves)."""
    found: list[int] = []
    for start, block in _blocks():
        if block.split() != [block]:
            found += [code for code, char in enumerate(block, start) if char.isspace()]
    return tuple(found)


_BLOCK = 512


def _blocks() -> Iterator[tuple[int, str]]:
    """All of Unicode, surrogates included, in blocks: (first code point, its characters)."""
    codes = array("I", range(sys.maxunicode + 1))  # 4 bytes each where CPython runs
    every = codes.tobytes().decode(f"utf-32-{sys.byteorder[0]}e", "surrogatepass")
    for start in range(0, len(every), _BLOCK):
        yield start, every[start : start + _BLOCK]


def encode(text: str) -> bytes:
    """The bytes every hash here is taken over (lone surrogates pass through unchanged)."""
    return text.encode("utf-8", "surrogatepass")


def exact_key(text: str) -> bytes:
    """128-bit hash of the normalised text: equal keys are exact duplicates."""
    return xxhash.xxh3_128_digest(encode(normalise(text)))


def tokens(text: str, kind: ShingleKind = "word") -> list[bytes]:
    """The normalised text's tokens as UTF-8: its words, or its characters."""
    norm = normalise(text)
    if kind == "word":
        return [encode(word) for word in norm.split(" ")] if norm else []
    return [encode(char) for char in norm]


def shingles(text: str, n: int, kind: ShingleKind = "word") -> set[tuple[bytes, ...]]:
    """The distinct n-grams of tokens (all the tokens as one, if there are fewer than n)."""
    toks = tokens(text, kind)
    if not toks:
        return set()
    if len(toks) < n:
        return {tuple(toks)}
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def word_shingles(text: str, n: int) -> set[tuple[bytes, ...]]:
    return shingles(text, n, "word")


def token_hash(token: bytes) -> int:
    """64-bit FNV-1a of the token's bytes."""
    h = FNV_OFFSET
    for byte in token:
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


def fmix64(h: int) -> int:
    """MurmurHash3's 64-bit finaliser: every input bit reaches every output bit."""
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK64
    return h ^ (h >> 33)


def shingle_hash(shingle: tuple[bytes, ...]) -> int:
    """The 32-bit hash of one shingle (a tuple of tokens): datasketch's `hashfunc`."""
    g = 0
    for token in shingle:
        g = (g * COMBINE + token_hash(token)) & MASK64
    return fmix64(g) & 0xFFFFFFFF
