"""The corpus-wide reduces read their inputs one range of hashes at a time: the result must not
depend on how many parts they are split into, and must be what the in-memory passes find."""

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.chrome import ArticleLines, SiteLineFrequency, find_chrome
from cleaners.config import Config
from cleaners.dedup.deduplicator import Deduplicator
from cleaners.document import Document
from cleaners.pipeline import EMPTY
from flows import stages
from flows.io import count_rows, documents_to_table, write_table

CONFIG = Config.load()


def _shards(docs: list[dict], n: int) -> list[list[dict]]:
    return [docs[i::n] for i in range(n)]


def _write_frequencies(shards: list[list[dict]], folder) -> list[str]:
    paths = []
    for i, shard in enumerate(shards):
        frequency = SiteLineFrequency()
        for doc in shard:
            frequency.count(doc["text"], doc["site"])
        path = folder / f"frequency-{i}.parquet"
        write_table(frequency.to_table(), path, stages.STORED_ROW_GROUP)
        paths.append(str(path))
    return paths


def _rows(path) -> list[tuple]:
    table = pq.read_table(path)
    return sorted(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))


def test_chrome_reduces_in_parts_equal_one_pass_and_the_in_memory_passes(
    generated_site_corpus, tmp_path
):
    docs, _ = generated_site_corpus
    shards = _shards(docs, 4)
    frequencies = _write_frequencies(shards, tmp_path)
    parts_rows = 60
    assert count_rows(frequencies) > 5 * parts_rows  # so the reduce runs in several parts

    whole, split = tmp_path / "whole.parquet", tmp_path / "split.parquet"
    found = stages.frequent_lines(frequencies, CONFIG, str(whole))
    assert stages.frequent_lines(frequencies, CONFIG, str(split), part_rows=parts_rows) == found
    assert found > 0 and _rows(split) == _rows(whole)

    articles = []
    for i, shard in enumerate(shards):
        counter = ArticleLines(pq.read_table(whole), CONFIG.chrome)
        for doc in shard:
            counter.count(doc["text"], doc["site"])
        path = tmp_path / f"articles-{i}.parquet"
        write_table(counter.to_table(), path, stages.STORED_ROW_GROUP)
        articles.append(str(path))
    one, parts = tmp_path / "chrome-one.parquet", tmp_path / "chrome-parts.parquet"
    chrome_found = stages.chrome(articles, CONFIG, str(one))
    assert stages.chrome(articles, CONFIG, str(parts), part_rows=parts_rows) == chrome_found
    assert chrome_found > 0 and _rows(parts) == _rows(one)

    in_memory = find_chrome([(d["text"], d["site"]) for d in docs], CONFIG.chrome)
    expected = sorted((s, h) for s, hashes in in_memory.sites.items() for h in hashes)
    assert _rows(parts) == expected


def test_a_reduce_over_no_rows_writes_an_empty_decision(tmp_path):
    empty = tmp_path / "empty.parquet"
    write_table(stages.ARTICLES_SCHEMA.empty_table(), empty)
    out = tmp_path / "chrome.parquet"
    assert stages.chrome([str(empty)], CONFIG, str(out)) == 0
    assert pq.read_table(out).num_rows == 0


def test_the_cluster_stage_loads_signatures_from_the_files_it_was_given(
    generated_site_corpus, tmp_path
):
    """Shards with rejected rows between live ones: the stage (signatures read back from each
    file for the rows that need them) decides what a Deduplicator holding them all does."""
    docs, _ = generated_site_corpus
    documents = [
        Document(
            d["id"], f"gen:{i}", d["text"], site=d["site"], reason=EMPTY if i % 7 == 3 else None
        )
        for i, d in enumerate(docs)
    ]
    paths = []
    for i, shard in enumerate(_shards(documents, 3)):
        cleaned, prints = tmp_path / f"cleaned-{i}.parquet", tmp_path / f"prints-{i}.parquet"
        write_table(documents_to_table(shard), cleaned)
        stages.fingerprints(str(cleaned), CONFIG, str(prints))
        paths.append(str(prints))
    result = stages.cluster(paths, CONFIG, str(tmp_path / "work"), None)
    decided = pa.concat_tables(pq.read_table(p) for p in result["decisions"])

    live = [d for shard in _shards(documents, 3) for d in shard if d.reason is None]
    held = Deduplicator(CONFIG.dedup)
    held.add_texts([d.doc_id for d in live], [d.text for d in live])
    clusters = held.resolve()
    expected = dict(zip(clusters.doc_ids, clusters.cluster_id, strict=True))
    got = {row["doc_id"]: row["cluster_id"] for row in decided.to_pylist() if row["cluster_id"]}
    assert got == expected
    assert len(got) < len(docs) and sum(k != v for k, v in got.items()) > 10


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "a@s1", "b@s0"]), max_size=6), max_size=4))
@settings(deadline=None)
def test_unique_ids_follow_the_rule_row_by_row(shards):
    """First with an id keeps it, a later one becomes id@source, even when that is another
    row's id (then every later row is checked against it, as the plain rule does)."""
    ids = [pa.chunked_array([pa.array(s, pa.string())]) for s in shards]
    sources = [
        pa.chunked_array([pa.array([f"s{i}" for i in range(len(s))], pa.string())]) for s in shards
    ]
    expected, seen = [], set()
    for shard, shard_sources in zip(shards, sources, strict=True):
        out = []
        for doc_id, source in zip(shard, shard_sources.to_pylist(), strict=True):
            doc_id = f"{doc_id}@{source}" if doc_id in seen else doc_id
            seen.add(doc_id)
            out.append(doc_id)
        expected.append(out)
    got = stages.unique_ids(ids, lambda k: sources[k])
    assert [g.to_pylist() for g in got] == expected
