import random
import sys

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash

from cleaners.dedup.minhash import MinHasher
from cleaners.dedup.shingles import (
    exact_key,
    lowercase_map,
    normalise,
    shingle_hash,
    shingles,
    token_hash,
    whitespace,
)
from tests.conftest import SEEDS

WORDS = ["the", "Harbour", "café", "ÜBER", "straße", "中文", "İstanbul", "ΣΟΦΙΑ", "naïve", "x"]
SPACES = [" ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u3000", "\x1c", " \n\n "]


def generated_texts(count: int) -> list[str]:
    """Mixed-script texts with every kind of whitespace, from empty to hundreds of words."""
    rng = random.Random(7)
    texts = ["", " \n\t ", "one", "two words", "a b c d", "a b c d e", "A B C D E F", "🙂 ǅ Ⱥ"]
    for _ in range(count):
        words = rng.choices(WORDS, k=rng.choice([0, 1, 3, 4, 5, 6, 20, 300]))
        texts.append("".join(w + rng.choice(SPACES) for w in words))
    return texts


def datasketch_signature(text: str, n: int, kind: str, num_perm: int, seed: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash)
    m.update_batch(list(shingles(text, n, kind)))
    return m.hashvalues


TEXTS = generated_texts(300) + [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


@pytest.mark.parametrize(
    ("n", "kind", "num_perm", "seed"),
    [(5, "word", 128, 1), (3, "word", 64, 42), (5, "char", 128, 1), (1, "char", 32, 3)],
)
def test_kernel_signatures_equal_datasketch_affine32(n, kind, num_perm, seed):
    ours = MinHasher(num_perm=num_perm, seed=seed, ngram=n, kind=kind).signatures(TEXTS)
    differ = [
        i
        for i, text in enumerate(TEXTS)
        if not np.array_equal(ours[i], datasketch_signature(text, n, kind, num_perm, seed))
    ]
    assert differ == []


def test_kernel_exact_keys_are_the_hash_of_the_normalised_text():
    sketch = MinHasher().sketch(TEXTS)
    assert sketch.keys == [exact_key(t) for t in TEXTS]


def test_batches_give_the_same_signatures_as_one_call(monkeypatch):
    import cleaners.dedup.minhash as minhash

    whole = MinHasher().signatures(TEXTS)
    monkeypatch.setattr(minhash, "BATCH_BYTES", 200)
    assert np.array_equal(MinHasher().signatures(TEXTS), whole)


@pytest.mark.parametrize("batch_bytes", [200, 4 << 20])
def test_texts_in_an_arrow_buffer_sketch_as_str(monkeypatch, batch_bytes):
    """sketch_utf8 over an Arrow array's buffer and offsets (a slice: offsets not from 0),
    in kernel batches of any size, gives what sketch gives for the same texts as str."""
    import cleaners.dedup.minhash as minhash

    texts = pa.array(["unused", *TEXTS, "unused"]).slice(1, len(TEXTS))
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)[1 : len(TEXTS) + 2]
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)
    whole = MinHasher().sketch(TEXTS)
    monkeypatch.setattr(minhash, "BATCH_BYTES", batch_bytes)
    got = MinHasher().sketch_utf8(data, offsets)
    assert np.array_equal(got.signatures, whole.signatures) and got.keys == whole.keys


def test_empty_text_has_the_empty_signature_of_datasketch():
    assert np.array_equal(MinHasher().signature(""), MinHash(num_perm=128, seed=1).hashvalues)


def test_token_hash_is_64_bit_fnv1a():
    # published FNV-1a 64 test vectors
    assert token_hash(b"") == 0xCBF29CE484222325
    assert token_hash(b"a") == 0xAF63DC4C8601EC8C
    assert token_hash(b"foobar") == 0x85944171F73967E8


def test_shingles_are_ngrams_of_the_normalised_tokens():
    assert shingles("A b  C d", 3) == {(b"a", b"b", b"c"), (b"b", b"c", b"d")}
    assert shingles("Two words", 5) == {(b"two", b"words")}
    assert shingles("   ", 5) == set()
    assert shingles("Abc", 2, "char") == {(b"a", b"b"), (b"b", b"c")}
    assert shingle_hash((b"a", b"b")) != shingle_hash((b"b", b"a"))  # word order counts


def test_normalisation_tables_are_every_code_point_asked_one_by_one():
    """lowercase_map and whitespace skip blocks of Unicode that change as a whole: they must
    still find exactly what asking each code point finds (surrogates included)."""
    every = [chr(c) for c in range(sys.maxunicode + 1)]
    assert lowercase_map() == {ord(c): c.lower() for c in every if c.lower() != c}
    assert whitespace() == tuple(ord(c) for c in every if c.isspace())


def test_normalise_lowercases_each_character_and_collapses_whitespace():
    assert normalise(" A\tB\u00a0\u3000Ç ") == "a b ç"
    assert normalise("ΟΔΟΣ") == "οδοσ"  # per character: no final-sigma rule (str.lower: ς)
    assert exact_key("Hello   World\n") == exact_key("hello world")
    assert exact_key("Hello World") != exact_key("Hello World!")
