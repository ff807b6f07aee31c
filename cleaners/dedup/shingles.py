"""What two documents are compared on: the normalised text and its word n-gram shingles."""

from __future__ import annotations

import xxhash


def normalise(text: str) -> str:
    """Case and whitespace do not make two documents different."""
    return " ".join(text.lower().split())


def exact_key(text: str) -> bytes:
    """128-bit hash of the normalised text: equal keys are exact duplicates."""
    return xxhash.xxh3_128_digest(normalise(text).encode("utf-8", "surrogatepass"))


def word_shingles(text: str, n: int) -> list[bytes]:
    """The distinct word n-grams of the normalised text (the whole text if it is shorter)."""
    tokens = text.lower().split()
    if len(tokens) <= n:
        return [" ".join(tokens).encode("utf-8", "surrogatepass")] if tokens else []
    grams = {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
    return [g.encode("utf-8", "surrogatepass") for g in grams]
