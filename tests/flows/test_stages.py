"""The corpus-wide reduces read their inputs one range of hashes at a time: the result must not
depend on how many parts they are split into, and must be what the in-memory passes find."""

import json
import subprocess
import sys
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import normalise_line
from cleaners.chrome import (
    FREQUENCY_SCHEMA,
    ArticleLines,
    ChromeLines,
    ChromeStripper,
    SiteLineFrequency,
    article_key,
    find_chrome,
    line_hash,
    tidy_texts,
)
from cleaners.config import Config
from cleaners.dedup.deduplicator import Deduplicator, fingerprint, fingerprint_arrow, hasher
from cleaners.dedup.settings import bands_and_rows
from cleaners.document import Change, Document
from cleaners.pipeline import EMPTY
from flows import stages
from flows.io import (
    CLEANED_SCHEMA,
    TableWriter,
    count_rows,
    documents_to_table,
    find_input_files,
    fingerprint_schema,
    plan_shards,
    write_table,
)
from tests.cleaners.dedup.test_minhash import generated_texts
from tests.cleaners.test_chrome import plain_strip

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


def _every_case(docs: list[dict]) -> list[Document]:
    """Generated pages, some rejected already, some without a site, some untidy (a doubled
    space, a tab, a space at a line's end: line_norms's slow path), each with a change."""
    out = []
    for i, d in enumerate(docs):
        text = d["text"]
        if i % 5 == 2:
            text = text.replace(" ", "  ", 1) if i % 2 else text.replace("\n", " \t\n", 2)
        out.append(
            Document(
                d["id"],
                f"gen:{i}",
                text,
                site=None if i % 13 == 4 else d["site"],
                changes=[] if i % 3 else [Change("escapes", "&amp;", "&")],
                reason=EMPTY if i % 11 == 5 else None,
            )
        )
    return out


def _plain_article_rows(table: pa.Table, lines: pa.Table) -> pa.Table:
    """Pass 2 row by row as first written: every line normalised on its own."""
    config = CONFIG.chrome
    by_site = ArticleLines(lines, config)
    rows = []
    for row in table.to_pylist():
        if row["reason"] is not None or not row["site"]:
            continue
        norms = [normalise_line(x) for x in row["text"].split("\n") if x.strip()]
        if not norms:
            continue
        site = row["site"]
        key = article_key(norms, config.article_key_words, by_site.common.get(site, frozenset()))
        rows.append((site, None, key))
        candidates = by_site.candidates.get(site, frozenset())
        rows += [(site, h, key) for h in {line_hash(x) for x in norms} & candidates]
    site, hashes, key = zip(*rows, strict=True)
    table = pa.table({"site": site, "line_hash": hashes, "article": key}, stages.ARTICLES_SCHEMA)
    return table.sort_by("line_hash")


def _plain_stripped(table: pa.Table, strip: ChromeStripper) -> pa.Table:
    """strip_chrome as first written: every row through Python, each line hashed alone."""
    rows = table.to_pylist()
    for row in rows:
        if row["reason"] is None and row["site"]:
            text, removed = plain_strip(strip, row["text"], row["site"])
            if removed:
                row["text"] = text.strip("\n")
                row["changes"] = [
                    *row["changes"],
                    *({"rule": "chrome", "removed": x, "replacement": None} for x in removed),
                ]
                row["reason"] = None if row["text"].strip() else EMPTY
    return pa.Table.from_pylist(rows, schema=CLEANED_SCHEMA)


def test_count_and_strip_chrome_write_what_the_row_by_row_passes_write(
    generated_site_corpus, tmp_path
):
    """Pass 2 and pass 3 as stages, over real Parquet files, against the plain passes: rows
    rejected already and rows without a site are left alone, untidy texts go the slow way,
    a page of nothing but chrome is rejected as empty."""
    docs = _every_case(generated_site_corpus[0])
    chrome = find_chrome([(d.text, d.site) for d in docs if d.reason is None], CONFIG.chrome)
    site = docs[0].site
    only_chrome = [x for x in docs[0].text.split("\n") if line_hash(x) in chrome.sites[site]]
    docs.append(Document("only-chrome", "gen:x", "\n".join(only_chrome), site=site))
    cleaned = tmp_path / "cleaned.parquet"
    write_table(documents_to_table(docs), cleaned)

    frequencies = _write_frequencies(
        [[{"text": d.text, "site": d.site} for d in docs if d.reason is None]], tmp_path
    )
    frequent, articles = tmp_path / "frequent.parquet", tmp_path / "articles.parquet"
    stages.frequent_lines(frequencies, CONFIG, str(frequent))
    stages.count_chrome(str(cleaned), str(frequent), CONFIG, str(articles))
    lines = pq.read_table(frequent)
    assert pq.read_table(articles).equals(_plain_article_rows(pq.read_table(cleaned), lines))

    chrome_lines, final = tmp_path / "chrome.parquet", tmp_path / "final.parquet"
    stages.chrome([str(articles)], CONFIG, str(chrome_lines))
    stages.strip_chrome(str(cleaned), str(chrome_lines), str(final))
    strip = ChromeStripper(ChromeLines.from_columns(pq.read_table(chrome_lines).to_pydict()))
    expected = _plain_stripped(pq.read_table(cleaned), strip)
    got = pq.read_table(final)
    assert got.equals(expected)

    no_chrome, unchanged = tmp_path / "no-chrome.parquet", tmp_path / "unchanged.parquet"
    write_table(stages.CHROME_SCHEMA.empty_table(), no_chrome)
    stages.strip_chrome(str(cleaned), str(no_chrome), str(unchanged))
    assert pq.read_table(unchanged).equals(pq.read_table(cleaned))

    before = pq.read_table(cleaned)
    changed = [i for i in range(got.num_rows) if got["text"][i] != before["text"][i]]
    assert len(changed) > len(docs) // 3
    assert got["reason"].to_pylist()[-1] == EMPTY and got["text"].to_pylist()[-1] == ""
    assert any(docs[i].text != generated_site_corpus[0][i]["text"] for i in changed)  # untidy
    assert any(docs[i].changes for i in changed)  # changes kept, the chrome's after them


def test_fingerprints_from_arrow_buffers_are_those_of_the_texts_as_str(
    generated_site_corpus, tmp_path
):
    """The stage hands the kernel Arrow's UTF-8 buffer: keys, lengths, signatures and bands
    are what fingerprint() gives for the same texts as str (two batches, rows rejected
    between live ones, empty texts, every kind of whitespace, many scripts)."""
    texts = 3 * ([d["text"] for d in generated_site_corpus[0]] + generated_texts(200))
    assert len(texts) > stages.BATCH
    docs = [
        Document(f"d{i}", f"gen:{i}", t, reason=EMPTY if i % 7 == 3 else None)
        for i, t in enumerate(texts)
    ]
    cleaned, prints = tmp_path / "cleaned.parquet", tmp_path / "prints.parquet"
    with TableWriter(cleaned, CLEANED_SCHEMA) as writer:  # row groups smaller than a batch
        for start in range(0, len(docs), 97):
            writer.write(documents_to_table(docs[start : start + 97]))
    live_rows = stages.fingerprints(str(cleaned), CONFIG, str(prints))

    dedup = CONFIG.dedup
    schema = fingerprint_schema(dedup.num_perm, bands_and_rows(dedup.threshold, dedup.num_perm)[0])
    table = pq.read_table(cleaned)
    live = pc.is_null(table["reason"])
    plain = fingerprint(table["text"].filter(live).to_pylist(), dedup, hasher(dedup))
    expected = stages._fingerprint_table(table, live, plain, schema)
    assert live_rows == len(plain.keys) and pq.read_table(prints).equals(expected)

    sliced = fingerprint_arrow(pa.array(texts[:50]).slice(3), dedup)  # offsets not from 0
    assert _same_prints(sliced, fingerprint(texts[3:50], dedup))


def _same_prints(a, b) -> bool:
    return (
        a.keys == b.keys
        and np.array_equal(a.lengths, b.lengths)
        and np.array_equal(a.signatures, b.signatures)
        and np.array_equal(a.bands, b.bands)
    )


def test_the_clean_stage_counts_each_pages_lines_as_normalised_one_by_one(
    generated_site_corpus, tmp_path
):
    """Pass 1 inside the clean stage (Arrow's tidy flags for the batch) over a real JSONL
    shard: the line frequencies are those of every live page's lines hashed one by one."""
    docs = generated_site_corpus[0]
    jsonl = tmp_path / "docs.jsonl"
    with jsonl.open("w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            text = d["text"].replace(". ", ".\u00a0 ", 1 if i % 3 == 1 else 0)  # untidy
            f.write(json.dumps({"id": d["id"], "text": text, "site": d["site"]}) + "\n")
    shard = plan_shards(find_input_files([jsonl]), len(docs) + 1)[0]
    cleaned, frequency = tmp_path / "cleaned.parquet", tmp_path / "frequency.parquet"
    stages.clean(shard, CONFIG, str(cleaned), str(frequency))

    counts: dict[str, Counter] = {}
    for row in pq.read_table(cleaned).to_pylist():
        if row["reason"] is None and row["site"]:
            hashes = {line_hash(x) for x in row["text"].split("\n") if x.strip()}
            counts.setdefault(row["site"], Counter()).update(hashes)
    rows = [(s, h, n) for s in sorted(counts) for h, n in counts[s].items()]
    expected = pa.table(
        {
            "site": [r[0] for r in rows],
            "line_hash": [r[1] for r in rows],
            "docs": [r[2] for r in rows],
        },
        FREQUENCY_SCHEMA,
    ).sort_by("line_hash")
    assert pq.read_table(frequency).equals(expected)
    assert not all(tidy_texts(pq.read_table(cleaned)["text"]))  # some went the slow way


def test_warm_up_loads_what_a_workers_first_shard_would_load():
    """A fresh process after warm_up has trafilatura's jusText fallback stoplist, our
    stoplists, the compiled kernels of the cleaner and of MinHash, and datasketch."""
    code = (
        "import sys\n"
        "from cleaners.config import Config\n"
        "from flows import stages\n"
        "stages.warm_up(Config.load())\n"
        "import trafilatura.external\n"
        "from cleaners import line_features\n"
        "from cleaners.dedup import minhash\n"
        "print(trafilatura.external.JT_STOPLIST is not None,\n"
        "      line_features._stoplists.cache_info().currsize,\n"
        "      len(line_features.most_hit.signatures) > 0,\n"
        "      len(minhash._sketch.signatures) > 0,\n"
        "      'datasketch' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "1", "True", "True", "True"]
