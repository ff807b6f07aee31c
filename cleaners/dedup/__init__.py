"""Near-duplicate detection: exact duplicates by hash, then MinHash + LSH on what is left.

deduplicator.py (Fingerprints, Deduplicator: the decisions), minhash.py and shingles.py (the
signature kernel), lsh.py (bands, candidate pairs), clusters.py (stars around representatives),
settings.py and index.py (what names an index). Nothing is imported here, so that importing
settings.py does not load numba.
"""
