import numpy as np

from cleaners.dedup.lsh import band_keys, candidate_pairs, estimated_jaccard
from cleaners.dedup.settings import bands_and_rows


def test_bands_and_rows_match_datasketch_at_0_7():
    assert bands_and_rows(0.7, 128) == (14, 9)


def test_documents_sharing_one_band_are_candidates():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(4, 126), dtype=np.uint32)
    sig[1, 9:18] = sig[0, 9:18]  # docs 0 and 1 share band 1 only
    sig[3] = sig[2]  # docs 2 and 3 are identical
    pairs = candidate_pairs(band_keys(sig, 14, 9))
    assert pairs.tolist() == [[0, 1], [2, 3]]
    assert estimated_jaccard(sig, pairs).tolist() == [9 / 126, 1.0]


def test_large_buckets_stay_connected():
    sig = np.zeros((200, 18), dtype=np.uint32)  # all identical: one bucket per band
    pairs = candidate_pairs(band_keys(sig, 2, 9))
    linked = {0}
    for a, b in pairs.tolist():
        if a in linked:
            linked.add(b)
    assert linked == set(range(200))
    assert len(pairs) < 200 * 199 // 2
