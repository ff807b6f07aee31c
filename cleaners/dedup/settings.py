"""The dedup settings derived from the config, light to import (no numba, no datasketch until
asked): the flow's process and the index header need them, not the kernels."""

from __future__ import annotations

from functools import cache

SCHEME = "affine32"  # datasketch 2.x's default permutation scheme


@cache
def bands_and_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """The bands x rows datasketch's MinHashLSH would choose (14 x 9 at 0.7 for 128)."""
    from datasketch.lsh import _optimal_param  # here: datasketch loads scipy (70 MB)

    return _optimal_param(threshold, num_perm, 0.5, 0.5)
