import numpy as np

from cleaners.config import DedupConfig
from cleaners.dedup import EXACT, NEAR, Deduplicator
from cleaners.dedup.clusters import UnionFind, choose_representatives

BASE = (
    "Delegations from both sides arrived in Geneva on Monday for a new round of talks, "
    "officials said. The talks are expected to last until Friday, according to a statement "
    "from the mediators, who asked both parties to refrain from public comment. Observers "
    "expect the first results to be announced at a press conference later in the week."
)


def test_union_find_roots_are_smallest_members():
    uf = UnionFind(5)
    uf.union(3, 1)
    uf.union(4, 3)
    assert uf.roots().tolist() == [0, 1, 2, 1, 1]


def test_representative_rules():
    roots = np.array([0, 0, 0])
    lengths = [10, 30, 30]
    assert choose_representatives(roots, lengths, ["c", "b", "a"], "longest").tolist() == [2, 2, 2]
    assert choose_representatives(roots, lengths, ["c", "b", "a"], "first").tolist() == [0, 0, 0]


def test_exact_and_near_duplicates_join_the_longest_representative():
    edited = BASE.replace("Monday", "Tuesday").replace("Friday", "Saturday") + " More text."
    other = "A completely different story about the weather in the mountains this winter."
    dedup = Deduplicator(DedupConfig())
    dedup.add_texts(["a", "b"], [BASE, BASE.upper()])
    dedup.add_texts(["c", "d"], [edited, other])
    clusters = dedup.resolve()
    assert clusters.cluster_id == ["c", "c", "c", "d"]
    assert clusters.cluster_size == [3, 3, 3, 1]
    assert clusters.duplicate_of == ["c", "c", None, None]
    assert clusters.reason == [NEAR, NEAR, None, None]
    assert 0.5 < clusters.similarity[0] < 1.0


def test_exact_duplicates_of_the_representative():
    dedup = Deduplicator(DedupConfig(representative="first"))
    dedup.add_texts(["a", "b"], [BASE, "  " + BASE.lower()])
    clusters = dedup.resolve()
    assert clusters.duplicate_of == [None, "a"]
    assert clusters.reason == [None, EXACT]
    assert clusters.similarity == [None, 1.0]


def test_documents_sharing_only_part_of_their_text_stay_apart():
    """A rewrite that shares one of three paragraphs is not a duplicate (Jaccard ~0.3)."""
    second = (
        "The weather in the mountains turned cold overnight and the passes were closed to "
        "traffic. Snow ploughs worked through the night, and the road authority said that "
        "it hoped to reopen the main routes by noon on Saturday if the wind dropped."
    )
    third = (
        "Local schools stayed open although several buses ran late, and parents were asked "
        "to collect younger children early. The council promised a full review of the "
        "winter plan once the storm had passed and the damage had been counted."
    )
    dedup = Deduplicator(DedupConfig())
    dedup.add_texts(["a", "b"], [f"{BASE}\n{second}", f"{BASE}\n{third}"])
    assert dedup.resolve().cluster_size == [1, 1]
