"""The work of each shard-level task, as plain functions from files to files.

They run in worker processes (or inline with one worker): importable, picklable arguments,
small return values. The Prefect tasks in clean_corpus.py only call them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.chrome import (
    ARTICLE_ROWS,
    ARTICLES_SCHEMA,
    CHROME_SCHEMA,
    FREQUENCY_SCHEMA,
    ArticleLines,
    ChromeLines,
    ChromeStripper,
    SiteLineFrequency,
    chrome_table,
    hash_ranges,
    site_articles,
    site_lines,
    tidy_texts,
)
from cleaners.config import Config
from cleaners.dedup.deduplicator import (
    Deduplicator,
    Fingerprints,
    SignatureLoader,
    fingerprint_arrow,
    hasher,
    take_rows,
)
from cleaners.dedup.settings import bands_and_rows
from cleaners.document import Change, Document
from cleaners.pipeline import EMPTY, DocumentCleaner
from flows.dedup_index import INDEX, copy_index, read_index, write_index
from flows.io import (
    CLEANED_SCHEMA,
    DECISIONS_SCHEMA,
    OUTPUT_SCHEMA,
    Shard,
    TableWriter,
    batched,
    count_rows,
    documents_to_table,
    fingerprint_schema,
    read_batches,
    read_shard,
    read_table,
    write_json,
    write_table,
)
from flows.output import STAGING
from flows.report import ShardReport

T = TypeVar("T")
BATCH = 1000  # documents in memory at once within a shard
PART_ROWS = 2_000_000  # stored chrome rows a reduce holds at once (some 40 bytes each)
STORED_ROW_GROUP = 16_384  # rows per row group of chrome's stored tables (sorted by hash)


def clean(shard: Shard, config: Config, out: str, line_frequency: str | None) -> dict[str, float]:
    """Read a shard's documents, clean each; write the cleaned shard, and (when given a path)
    on how many of the shard's pages of each site each line is (chrome's pass 1). Returns
    the seconds each step took: read, the cleaner's steps, line counts, write."""
    cleaner = DocumentCleaner(config)
    frequency = SiteLineFrequency()
    seconds: Counter[str] = Counter()
    cleaned = (cleaner.run_safely(doc) for doc in _timed(read_shard(shard), seconds, "read"))
    with TableWriter(Path(out), CLEANED_SCHEMA) as writer:  # written last: the shard is done
        for batch in batched(cleaned, BATCH):
            clock = time.perf_counter()
            table = documents_to_table(batch)
            writer.write(table)
            counting = time.perf_counter()
            seconds["write"] += counting - clock
            if line_frequency:
                for doc, tidy in zip(batch, tidy_texts(table["text"]), strict=True):
                    if doc.reason is None:
                        frequency.count(doc.text, doc.site, tidy)
                seconds["line counts"] += time.perf_counter() - counting
        if line_frequency:
            clock = time.perf_counter()
            write_table(frequency.to_table(), Path(line_frequency), STORED_ROW_GROUP)
            seconds["line counts"] += time.perf_counter() - clock
    return {**cleaner.seconds, **seconds}


# What warm_up cleans: a page and a text with what the rules look for, so that each cleaner
# step, the HTML extraction (trafilatura's fallbacks too) and the MinHash kernel run once.
_WARM_UP_PAGE = (
    "<html><head><title>A warm-up page</title></head><body><nav>Home | News</nav>"
    "<article><h1>A warm-up page</h1><p>A few words, here only so that the extraction and the"
    " rules after it run once before a real page.</p></article>"
    "<footer>Leave a Reply</footer></body></html>"
)
_WARM_UP_TEXT = "A line of text, and the words of it.\nShare this:\nLeave a Reply\n"
# two near-duplicates, so that the cluster step's kernels (LSH pairs, their agreement, the
# star clusters) run too
_WARM_UP_NEAR = " ".join(f"word{i}" for i in range(60))


def warm_up(config: Config) -> None:
    """Clean, count, write (in memory), fingerprint and cluster a few small documents: a new
    worker's first shard otherwise pays for what the stages load on first use (trafilatura's
    and our stoplists, numba's compiled kernels, Arrow's Parquet writer, datasketch and
    scipy). Run once before any worker (flows/precompile.py), it compiles numba's kernels
    into their cache, which the workers then load instead of each compiling them."""
    cleaner = DocumentCleaner(config)
    docs = [
        cleaner.run_safely(Document("warm-up-0", "warm-up", _WARM_UP_PAGE, content_type="html")),
        cleaner.run_safely(Document("warm-up-1", "warm-up", _WARM_UP_TEXT, site="example.com")),
    ]
    table = documents_to_table(docs)
    frequency = SiteLineFrequency()
    for doc, tidy in zip(docs, tidy_texts(table["text"]), strict=True):
        frequency.count(doc.text, doc.site, tidy)
    pq.write_table(table, pa.BufferOutputStream(), compression="zstd")
    if config.dedup.enabled:
        fingerprint_arrow(table["text"], config.dedup, hasher(config.dedup))
        dedup = Deduplicator(config.dedup)
        dedup.add_texts(["warm-up-a", "warm-up-b"], [_WARM_UP_NEAR, f"{_WARM_UP_NEAR} more"])
        dedup.resolve()


def _timed(items: Iterable[T], seconds: Counter[str], step: str) -> Iterator[T]:
    """`items`, adding the time spent getting each to seconds[step]."""
    iterator = iter(items)
    while True:
        clock = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            seconds[step] += time.perf_counter() - clock
            return
        seconds[step] += time.perf_counter() - clock
        yield item


def frequent_lines(
    frequencies: list[str], config: Config, out: str, part_rows: int = PART_ROWS
) -> int:
    """Add up the shards' line frequencies: each site's lines on many of its pages (no
    article keys; the candidates for chrome). One range of line hashes at a time, so at most
    about `part_rows` stored rows are in memory. Returns how many."""
    paths = [Path(p) for p in frequencies]
    with TableWriter(Path(out), FREQUENCY_SCHEMA) as writer:
        for part in hash_ranges(_parts(paths, part_rows)):
            writer.write(site_lines(_read_part(paths, part, FREQUENCY_SCHEMA), config.chrome))
    return writer.rows


def count_chrome(cleaned: str, frequent: str, config: Config, out: str) -> None:
    """Each document's article and candidate lines, for a cleaned shard (chrome's pass 2)."""
    articles = ArticleLines(read_table(Path(frequent)), config.chrome)
    for table in read_batches(Path(cleaned), BATCH, columns=["text", "site", "reason"]):
        live = table.filter(pc.is_null(table["reason"]))
        texts = live["text"]
        for text, site, tidy in zip(
            texts.to_pylist(), live["site"].to_pylist(), tidy_texts(texts), strict=True
        ):
            articles.count(text, site, tidy)
    write_table(articles.to_table(), Path(out), STORED_ROW_GROUP)


def chrome(articles: list[str], config: Config, out: str, part_rows: int = PART_ROWS) -> int:
    """Decide each site's chrome lines from every shard's articles, one range of line hashes
    at a time (each site's article count first). Returns how many."""
    paths = [Path(p) for p in articles]
    per_site = site_articles(_read_part(paths, ARTICLE_ROWS, ARTICLES_SCHEMA))
    with TableWriter(Path(out), CHROME_SCHEMA) as writer:
        for part in hash_ranges(_parts(paths, part_rows)):
            rows = _read_part(paths, part, ARTICLES_SCHEMA)
            writer.write(chrome_table(rows, config.chrome, per_site))
    return writer.rows


def _parts(paths: list[Path], part_rows: int) -> int:
    return max(1, -(-count_rows(paths) // part_rows))


def _read_part(paths: list[Path], where: pc.Expression, schema: pa.Schema) -> pa.Table:
    """The rows of every file that match `where` (an empty table of `schema` when none)."""
    return pa.concat_tables([schema.empty_table()] + [read_table(p, where=where) for p in paths])


def strip_chrome(cleaned: str, chrome_lines: str, out: str) -> int:
    """Remove each site's chrome lines from a cleaned shard (a document left with nothing is
    rejected as empty; the removed lines are in its changes). Returns the rows."""
    strip = ChromeStripper(ChromeLines.from_columns(read_table(Path(chrome_lines)).to_pydict()))
    with TableWriter(Path(out), CLEANED_SCHEMA) as writer:
        for table in read_batches(Path(cleaned), BATCH):
            writer.write(_strip_batch(table.cast(CLEANED_SCHEMA), strip))
    return writer.rows


def _strip_batch(table: pa.Table, strip: ChromeStripper) -> pa.Table:
    """The batch with chrome stripped. Only the texts of live rows of a site with chrome go
    to Python, and only the rows that lost a line get new text, changes and reason; the other
    rows' values stay Arrow's (most rows lose nothing)."""
    sites = table["site"]
    with_chrome = pa.array(strip.sites(), pa.string())
    candidate = pc.and_(pc.is_null(table["reason"]), pc.is_in(sites, with_chrome))
    rows = np.flatnonzero(candidate.to_numpy(zero_copy_only=False))
    if not len(rows):
        return table
    at = pa.array(rows)
    candidates = table["text"].take(at)
    changed: list[int] = []
    texts: list[str] = []
    added: list[list[Change]] = []
    for row, text, site, tidy in zip(
        rows.tolist(),
        candidates.to_pylist(),
        sites.take(at).to_pylist(),
        tidy_texts(candidates),
        strict=True,
    ):
        stripped, removed = strip(text, site, tidy)
        if removed:
            changed.append(row)
            texts.append(stripped.strip("\n"))
            added.append(removed)
    if not changed:
        return table
    old = table["changes"].take(pa.array(changed)).to_pylist()
    changes = [
        [*c, *({"rule": r.rule, "removed": r.removed, "replacement": r.replacement} for r in new)]
        for c, new in zip(old, added, strict=True)
    ]
    reasons = [None if text.strip() else EMPTY for text in texts]
    return _replace_rows(table, changed, {"text": texts, "changes": changes, "reason": reasons})


def _replace_rows(table: pa.Table, rows: list[int], values: dict[str, list[Any]]) -> pa.Table:
    """`table` with the given columns' values at `rows` (ascending) replaced by `values`."""
    where = np.arange(table.num_rows)
    where[rows] = table.num_rows + np.arange(len(rows))  # past the end: the new values
    take = pa.array(where)
    for name, new in values.items():
        i = table.schema.get_field_index(name)
        column, field = table.column(i), table.schema.field(i)
        both = pa.chunked_array([*column.chunks, pa.array(new, field.type)], field.type)
        table = table.set_column(i, field, both.take(take))
    return table


def fingerprints(cleaned: str, config: Config, out: str) -> int:
    """Exact keys, lengths, MinHash signatures and band keys of a cleaned shard's live rows,
    computed batch by batch (the shard's texts are never all in memory)."""
    dedup = config.dedup
    schema = fingerprint_schema(dedup.num_perm, bands_and_rows(dedup.threshold, dedup.num_perm)[0])
    minhasher = hasher(dedup) if dedup.enabled else None
    live_rows = 0
    columns = ["doc_id", "source", "reason"] + (["text"] if minhasher else [])  # not the rest
    with TableWriter(Path(out), schema) as writer:
        for table in read_batches(Path(cleaned), BATCH, columns=columns):
            live = pc.is_null(table["reason"])
            prints = None
            if minhasher is not None:
                texts = table["text"].filter(live)
                prints = fingerprint_arrow(texts, dedup, minhasher)
                live_rows += len(texts)
            writer.write(_fingerprint_table(table, live, prints, schema))
    return live_rows


def _fingerprint_table(
    table: pa.Table, live: pa.ChunkedArray, prints: Fingerprints | None, schema: pa.Schema
) -> pa.Table:
    n = table.num_rows
    if prints is None:
        columns = {
            f.name: pa.nulls(n, f.type) for f in schema if f.name not in ("doc_id", "source")
        }
    else:
        rows = np.flatnonzero(live.to_numpy(zero_copy_only=False))
        where = np.full(n, -1, dtype=np.int64)
        where[rows] = np.arange(len(rows))
        take = pa.array(where, mask=where < 0)  # null for rows rejected before dedup
        num_perm, n_bands = prints.signatures.shape[1], prints.bands.shape[1]
        columns = {
            "key": pa.array(prints.keys, pa.binary(16)).take(take),
            "length": pa.array(prints.lengths).take(take),
            "signature": pa.FixedSizeListArray.from_arrays(
                pa.array(prints.signatures.reshape(-1)), num_perm
            ).take(take),
            "bands": pa.FixedSizeListArray.from_arrays(
                pa.array(prints.bands.reshape(-1)), n_bands
            ).take(take),
        }
    return pa.table(
        {"doc_id": table["doc_id"], "source": table["source"], **columns}, schema=schema
    )


def read_fingerprints(table: pa.Table, live: pa.Array | pa.ChunkedArray | None) -> Fingerprints:
    """The live rows (all, with live None) of a fingerprints or dedup index table as arrays
    (signatures None when the table was read without them)."""
    rows = table if live is None else table.filter(live)
    return Fingerprints(
        keys=_key_block(rows["key"]),
        lengths=rows["length"].to_numpy(),
        signatures=_matrix(rows["signature"]) if "signature" in rows.column_names else None,
        bands=_matrix(rows["bands"]),
    )


def _key_block(column: pa.ChunkedArray) -> np.ndarray:
    """16-byte keys (no nulls) as an (n, 2) uint64 array, straight from Arrow's buffer."""
    keys = column.combine_chunks()
    if keys.null_count:
        raise ValueError("a fingerprint key is missing")
    data = np.frombuffer(keys.buffers()[1], dtype=np.uint64)
    return data[2 * keys.offset : 2 * (keys.offset + len(keys))].reshape(-1, 2).copy()


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    values = column.combine_chunks()
    return values.flatten().to_numpy().reshape(-1, values.type.list_size)


WITHOUT_SIGNATURES = ["doc_id", "source", "key", "length", "bands"]


def signature_loader(files: list[tuple[Path, pa.Array]], num_perm: int) -> SignatureLoader:
    """Signatures by row number over the live rows of `files` (path, live mask) in order,
    read one file at a time and only from the files that have a row asked for."""
    live_rows = [np.flatnonzero(live.to_numpy(zero_copy_only=False)) for _, live in files]

    def fetch(k: int, local: np.ndarray) -> np.ndarray:
        column = read_table(files[k][0], columns=["signature"])["signature"]
        return _matrix(column.take(live_rows[k][local]))

    def load(rows: np.ndarray) -> np.ndarray:
        return take_rows([len(w) for w in live_rows], fetch, rows, num_perm, np.uint32)

    return load


def cluster(fingerprint_paths: list[str], config: Config, work: str, index: str | None) -> dict:
    """Decide every row's final doc_id and cluster; one decisions file per shard. With the
    dedup on, the documents kept by earlier runs into the same output (the index folder
    `index`, when there is one) take part as fixed representatives, and the new index (them
    plus what this run keeps) is written into the staging folder. Ids stay Arrow arrays and
    signatures stay on disk but for the documents that share a band with another: memory is
    some 200 bytes a document. Returns the decisions' paths and a summary of the index."""
    paths = [Path(p) for p in fingerprint_paths]
    enabled = config.dedup.enabled
    read: list[tuple[pa.ChunkedArray, pa.Array, Fingerprints | None]] = []  # ids, live, prints
    for path in paths:
        table = read_table(path, columns=WITHOUT_SIGNATURES)
        live = pc.is_valid(table["key"]).combine_chunks()
        if not enabled:
            live = pa.array(np.zeros(len(live), dtype=np.bool_))
        read.append((table["doc_id"], live, read_fingerprints(table, live) if enabled else None))
        del table
    final_ids = unique_ids(
        [ids for ids, _, _ in read], lambda k: read_table(paths[k], columns=["source"])["source"]
    )
    dedup = Deduplicator(config.dedup)
    shards: list[tuple[pa.ChunkedArray, np.ndarray]] = []  # ids, row in dedup (-1: not deduped)
    signed: list[tuple[Path, pa.Array]] = []  # where the signatures are, in the order added
    for path, ids, (_, live, prints) in zip(paths, final_ids, read, strict=True):
        mask = live.to_numpy(zero_copy_only=False)
        shards.append((ids, np.where(mask, dedup.size + np.cumsum(mask) - 1, -1)))
        if prints is not None:
            dedup.add(ids.filter(live), prints)
            signed.append((path, live))
    del read
    staging_index = Path(work) / STAGING / INDEX
    every_id = pa.chunked_array([c for ids in final_ids for c in ids.chunks], pa.string())
    prior = read_index(Path(index), every_id) if index and enabled else []
    for path, standing in prior:
        table = read_table(path, columns=WITHOUT_SIGNATURES).filter(standing)
        dedup.add_prior(table["doc_id"], read_fingerprints(table, None))
    clusters = dedup.resolve(signature_loader(list(prior) + signed, config.dedup.num_perm))
    decisions = []
    for path, (ids, rows) in zip(paths, shards, strict=True):
        out = Path(work) / "decisions" / path.name
        write_table(pa.table({"doc_id": ids, **clusters.columns(rows)}).cast(DECISIONS_SCHEMA), out)
        decisions.append(str(out))
    if not enabled:
        summary = copy_index(Path(index) if index else None, staging_index)
    else:
        kept = np.append(clusters.kept, False)  # rows -1 (not deduped) are not kept
        summary = write_index(
            staging_index,
            config.dedup,
            prior,
            [(str(path), ids, kept[rows]) for path, (ids, rows) in zip(paths, shards, strict=True)],
        )
    return {"decisions": decisions, "index": summary}


def unique_ids(
    ids: list[pa.ChunkedArray], sources: Callable[[int], pa.ChunkedArray]
) -> list[pa.ChunkedArray]:
    """Stated rule: the first document with an id keeps it; a later one becomes id@source.
    Only shards holding a repeated id are walked in Python (`sources(k)`: shard k's)."""
    every = pa.chunked_array([c for shard in ids for c in shard.chunks], pa.string())
    counts = pc.value_counts(every)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if not len(repeated):
        return ids
    seen: set[str] = set()
    renamed: list[str] = []
    out = []
    for k, shard in enumerate(ids):
        hits = np.flatnonzero(pc.is_in(shard, repeated).to_numpy(zero_copy_only=False))
        if not len(hits):
            out.append(shard)
            continue
        values, shard_sources = shard.to_pylist(), sources(k).to_pylist()
        for i in hits.tolist():
            if values[i] in seen:
                values[i] = f"{values[i]}@{shard_sources[i]}"
                renamed.append(values[i])
            else:
                seen.add(values[i])
        out.append(pa.chunked_array([pa.array(values, pa.string())]))
    if pc.any(pc.is_in(every, pa.array(renamed, pa.string()))).as_py():
        return _unique_ids_in_order(ids, sources)  # a new id is another's: the rule row by row
    return out


def _unique_ids_in_order(
    ids: list[pa.ChunkedArray], sources: Callable[[int], pa.ChunkedArray]
) -> list[pa.ChunkedArray]:
    seen: set[str] = set()
    out = []
    for k, shard in enumerate(ids):
        unique = []
        for doc_id, source in zip(shard.to_pylist(), sources(k).to_pylist(), strict=True):
            if doc_id in seen:
                doc_id = f"{doc_id}@{source}"
            seen.add(doc_id)
            unique.append(doc_id)
        out.append(pa.chunked_array([pa.array(unique, pa.string())]))
    return out


def write(name: str, cleaned: str, decisions: str, staging: str, marker: str) -> dict[str, Any]:
    """Join a cleaned shard with its decisions, batch by batch; kept rows to corpus/, the rest
    to rejected/. Returns (and leaves in the marker file, written last, which says the shard
    is done) a small report: counts, removals per rule with samples, its largest clusters."""
    report = ShardReport()
    batches = zip(
        read_batches(Path(cleaned), BATCH), read_batches(Path(decisions), BATCH), strict=True
    )
    with ExitStack() as files:  # a file is completed, or removed if the shard fails
        writers: dict[str, TableWriter] = {}
        for table, decided in batches:
            out = _output_batch(table, decided)
            kept = pc.is_null(out["reason"])
            for folder, part in (("corpus", kept), ("rejected", pc.invert(kept))):
                rows = out.filter(part)
                if not rows.num_rows:
                    continue
                if folder not in writers:
                    path = Path(staging) / folder / f"part-{name}.parquet"
                    writers[folder] = files.enter_context(TableWriter(path, OUTPUT_SCHEMA))
                writers[folder].write(rows)
            report.add(out, kept)
    summary = report.as_dict()
    write_json(Path(marker), summary)
    return summary


def _output_batch(table: pa.Table, decided: pa.Table) -> pa.Table:
    changes = table["changes"]
    if pc.any(pc.not_equal(table["doc_id"], decided["doc_id"])).as_py():
        changes = pa.array(
            [
                [*c, {"rule": "input.duplicate_id", "removed": old, "replacement": new}]
                if old != new
                else c
                for c, old, new in zip(
                    changes.to_pylist(),
                    table["doc_id"].to_pylist(),
                    decided["doc_id"].to_pylist(),
                    strict=True,
                )
            ],
            type=OUTPUT_SCHEMA.field("changes").type,
        )
    return pa.table(
        {
            "doc_id": decided["doc_id"],
            "source": table["source"],
            "title": table["title"],
            "text": table["text"],
            "changes": changes,
            "cluster_id": decided["cluster_id"],
            "cluster_size": decided["cluster_size"],
            "duplicate_of": decided["duplicate_of"],
            "similarity": decided["similarity"],
            "reason": pc.coalesce(table["reason"], decided["reason"]),
            "site": table["site"],
            "metadata": table["metadata"],
        },
        schema=OUTPUT_SCHEMA,
    )
