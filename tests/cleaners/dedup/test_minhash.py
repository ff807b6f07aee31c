import numpy as np
from datasketch import MinHash

from cleaners.dedup.minhash import MinHasher
from cleaners.dedup.shingles import exact_key, normalise, word_shingles

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank today.",
    "Short text.",
    "",
    "Ünïcödé wörds and 中文 words mixed in one line of text for shingles here.",
]


def test_shingles_are_word_ngrams_of_the_lowercased_text():
    assert sorted(word_shingles("A b C d", 3)) == [b"a b c", b"b c d"]
    assert word_shingles("Two words", 5) == [b"two words"]
    assert word_shingles("   ", 5) == []


def test_exact_key_ignores_case_and_whitespace_only():
    assert exact_key("Hello   World\n") == exact_key("hello world")
    assert exact_key("Hello World") != exact_key("Hello World!")
    assert normalise(" A\tB ") == "a b"


def test_signatures_equal_datasketch_affine32():
    hasher = MinHasher(num_perm=128, seed=1, ngram=5)
    ours = hasher.signatures(TEXTS)
    for text, row in zip(TEXTS, ours, strict=True):
        m = MinHash(num_perm=128, seed=1, scheme="affine32")
        m.update_batch(word_shingles(text, 5))
        assert np.array_equal(row, m.hashvalues)
