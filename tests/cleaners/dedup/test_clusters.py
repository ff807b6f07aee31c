from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaners.config import DedupConfig
from cleaners.dedup.clusters import rank_order, star_clusters
from cleaners.dedup.deduplicator import (
    EXACT,
    NEAR,
    Deduplicator,
    Fingerprints,
    fingerprint,
    first_of_groups,
)

BASE = (
    "Delegations from both sides arrived in Geneva on Monday for a new round of talks, "
    "officials said. The talks are expected to last until Friday, according to a statement "
    "from the mediators, who asked both parties to refrain from public comment. Observers "
    "expect the first results to be announced at a press conference later in the week. "
    "Both delegations brought large teams of advisers, and the host government provided "
    "security for the venue, a lakeside hotel that has seen several such meetings before. "
    "Diplomats from neighbouring countries were invited as observers for the opening day."
)
OTHER = "A completely different story about the weather in the mountains this winter."


def test_rank_order_longest_first_ties_by_doc_id_or_input_order():
    lengths, ids = [10, 30, 30, 5], ["c", "b", "a", "d"]
    assert rank_order(lengths, ids, "longest").tolist() == [2, 1, 0, 3]
    assert rank_order(lengths, ids, "first").tolist() == [0, 1, 2, 3]


def signatures_with_agreement(shared: list[int], width: int = 100) -> np.ndarray:
    """Rows that agree with row 0 in the first shared[k] positions (k = row - 1)."""
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 2**32, size=(len(shared) + 1, width), dtype=np.uint32)
    for k, same in enumerate(shared, start=1):
        rows[k, :same] = rows[0, :same]
    return rows


def test_a_chain_of_links_does_not_glue_its_ends_together():
    # b agrees with a on 80 of 100 values; c with a on the first 60 and with b on the last 20
    sig = signatures_with_agreement([80, 60])
    sig[2, 80:] = sig[1, 80:]
    assert (sig[1] == sig[0]).mean() == 0.8 and (sig[2] == sig[1]).mean() == 0.8
    assert (sig[2] == sig[0]).mean() == 0.6
    edges = np.array([[0, 1], [1, 2]])
    reps = star_clusters(np.arange(3), np.zeros(3, bool), edges, sig, 0.7)
    assert reps.tolist() == [0, 0, 2]  # c is not a duplicate of a, though a ~ b ~ c


def test_a_document_joins_the_most_similar_representative():
    sig = signatures_with_agreement([10, 75])
    sig[2, 80:95] = sig[1, 80:95]  # docs 1 and 2 share little: two representatives
    order = np.array([0, 1, 2])
    fixed = np.zeros(3, bool)
    edges = np.array([[0, 2], [1, 2]])
    reps = star_clusters(order, fixed, edges, sig, 0.7)
    assert reps.tolist() == [0, 1, 0]


def test_fixed_documents_stay_representatives():
    sig = signatures_with_agreement([100])  # identical signatures
    reps = star_clusters(np.array([0, 1]), np.array([True, True]), np.array([[0, 1]]), sig, 0.7)
    assert reps.tolist() == [0, 1]


def test_exact_and_near_duplicates_join_the_longest_representative():
    edited = BASE.replace("Monday", "Tuesday").replace("Friday", "Saturday") + " More text."
    dedup = Deduplicator(DedupConfig())
    dedup.add_texts(["a", "b"], [BASE, BASE.upper()])
    dedup.add_texts(["c", "d"], [edited, OTHER])
    clusters = dedup.resolve()
    assert clusters.cluster_id == ["c", "c", "c", "d"]
    assert clusters.cluster_size == [3, 3, 3, 1]
    assert clusters.duplicate_of == ["c", "c", None, None]
    assert clusters.reason == [NEAR, NEAR, None, None]
    assert 0.5 < clusters.similarity[0] < 1.0
    assert clusters.kept.tolist() == [False, False, True, True]


def test_exact_duplicates_of_the_representative():
    dedup = Deduplicator(DedupConfig(representative="first"))
    dedup.add_texts(["a", "b"], [BASE, "  " + BASE.lower()])
    clusters = dedup.resolve()
    assert clusters.duplicate_of == [None, "a"]
    assert clusters.reason == [None, EXACT]
    assert clusters.similarity == [None, 1.0]


def test_a_new_document_points_at_an_earlier_runs_document_even_when_longer():
    config = DedupConfig()
    longer = BASE + " The mediators will meet again next month, a spokesman added."
    dedup = Deduplicator(config)
    dedup.add_prior(["old", "old2"], fingerprint([BASE, OTHER], config))
    dedup.add_texts(["new", "copy", "fresh"], [longer, OTHER.lower(), "Nothing like the others."])
    clusters = dedup.resolve()
    assert clusters.duplicate_of == ["old", "old2", None]
    assert clusters.reason == [NEAR, EXACT, None]
    assert clusters.cluster_size == [2, 2, 1]  # the earlier document counts


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


def test_nothing_to_dedup():
    dedup = Deduplicator(DedupConfig())
    dedup.add_texts([], [])
    assert dedup.resolve().doc_ids == []


def _generated(docs: list[dict], config: DedupConfig) -> list[tuple[list[str], Fingerprints]]:
    texts = [d["text"] for d in docs] + [d["text"].upper() for d in docs[:20]]  # exact copies
    ids = [d["id"] for d in docs] + [f"{d['id']}-copy" for d in docs[:20]]
    return [(ids[i : i + 64], fingerprint(texts[i : i + 64], config)) for i in range(0, 320, 64)]


def test_signatures_loaded_at_the_end_give_the_same_clusters(generated_site_corpus):
    """The flow adds fingerprints without signatures and loads those of documents that share
    a band; the decisions must be those of signatures held from the start."""
    docs, _ = generated_site_corpus
    config = DedupConfig()
    parts = _generated(docs, config)
    held = Deduplicator(config)
    for ids, prints in parts:
        held.add(ids, prints)
    everything = np.concatenate([p.signatures for _, p in parts])
    asked: list[np.ndarray] = []

    def load(rows: np.ndarray) -> np.ndarray:
        asked.append(rows)
        return everything[rows]

    lazy = Deduplicator(config)
    for ids, prints in parts:
        lazy.add(ids, _without(prints))
    expected, got = held.resolve(), lazy.resolve(load)
    for field in ("doc_ids", "cluster_id", "cluster_size", "duplicate_of", "similarity", "reason"):
        assert getattr(got, field) == getattr(expected, field)
    assert sum(r is not None for r in got.reason) > 20  # duplicates were found
    (rows,) = asked
    assert 0 < len(rows) < len(everything) and (np.diff(rows) > 0).all()


def _without(prints: Fingerprints) -> Fingerprints:
    return replace(prints, signatures=None)


def test_without_signatures_and_no_loader_is_an_error():
    dedup = Deduplicator(DedupConfig())
    dedup.add(["a", "b"], _without(fingerprint([BASE, OTHER], DedupConfig())))
    with pytest.raises(ValueError, match="load_signatures"):
        dedup.resolve()


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=40), st.randoms())
def test_each_row_leads_to_the_best_ranked_row_with_its_key(keys, rng):
    """first_of_groups against a plain dict walk in rank order."""
    order = list(range(len(keys)))
    rng.shuffle(order)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    expected: dict[tuple[int, int], int] = {}
    for i in order:
        expected.setdefault(keys[i], i)
    matrix = np.array(keys, dtype=np.uint64).reshape(len(keys), 2)
    got = first_of_groups(matrix, rank)
    assert got.tolist() == [expected[k] for k in keys]


def reference_representatives(ids, prints: Fingerprints, config: DedupConfig) -> list[int]:
    """The decision in plain Python: exact groups by key (longest, then smallest id, leads),
    leads sharing a band key are candidates, kept at estimated Jaccard >= threshold, then
    best first each lead joins the most similar representative of a decided neighbour."""
    n = len(ids)
    order = sorted(range(n), key=lambda i: (-int(prints.lengths[i]), ids[i]))
    lead: dict[bytes, int] = {}
    for i in order:
        lead.setdefault(prints.keys[i], i)
    leads = [i for i in order if lead[prints.keys[i]] == i]
    buckets: dict[tuple[int, int], list[int]] = {}
    for i in leads:
        for band, key in enumerate(prints.bands[i].tolist()):
            buckets.setdefault((band, key), []).append(i)

    def jaccard(a: int, b: int) -> float:
        return float((prints.signatures[a] == prints.signatures[b]).mean())

    neighbours: dict[int, set[int]] = {i: set() for i in leads}
    for members in buckets.values():
        assert len(members) <= 64  # else the kernel links a star and a chain, not all pairs
        for a in members:
            for b in members:
                if a != b and jaccard(a, b) >= config.threshold:
                    neighbours[a].add(b)
    rep: dict[int, int] = {}
    for x in leads:  # best first
        best, best_sim = x, -1.0
        for y in neighbours[x]:
            if y in rep:
                r = rep[y]
                sim = jaccard(x, r)
                if sim > best_sim or (sim == best_sim and order.index(r) < order.index(best)):
                    best, best_sim = r, sim
        rep[x] = best if best_sim >= config.threshold else x
    return [rep[lead[prints.keys[i]]] for i in range(n)]


def test_decisions_match_a_plain_reference(generated_site_corpus):
    docs, _ = generated_site_corpus
    config = DedupConfig()
    parts = _generated(docs, config)
    ids = [i for part_ids, _ in parts for i in part_ids]
    prints = fingerprint([d["text"] for d in docs] + [d["text"].upper() for d in docs[:20]], config)
    dedup = Deduplicator(config)
    for part_ids, part in parts:
        dedup.add(part_ids, _without(part))
    got = dedup.resolve(lambda rows: prints.signatures[rows])
    expected = reference_representatives(ids, prints, config)
    assert got.cluster_id == [ids[r] for r in expected]
    assert sum(r is not None for r in got.reason) > 20
