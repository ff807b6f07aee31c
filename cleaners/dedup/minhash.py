"""MinHash signatures, equal to datasketch's MinHash (scheme affine32, SHA-1 32-bit hashes)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from datasketch import MinHash

from cleaners.dedup.shingles import word_shingles


class MinHasher:
    """Signatures of many documents as one (n_docs, num_perm) uint32 array."""

    scheme = "affine32"

    def __init__(self, num_perm: int = 128, seed: int = 1, ngram: int = 5) -> None:
        self.num_perm, self.seed, self.ngram = num_perm, seed, ngram
        # datasketch draws the permutations once per (num_perm, seed); reuse them per document
        self._template = MinHash(num_perm=num_perm, seed=seed, scheme=self.scheme)

    def signatures(self, texts: Iterable[str]) -> np.ndarray:
        rows = [self.signature(text) for text in texts]
        if not rows:
            return np.empty((0, self.num_perm), dtype=np.uint32)
        return np.vstack(rows)

    def signature(self, text: str) -> np.ndarray:
        m = self._template.copy()
        m.update_batch(word_shingles(text, self.ngram))
        return m.hashvalues.astype(np.uint32, copy=False)
