"""The work of each shard-level task, as plain functions from files to files.

They run in worker processes (or inline with one worker): importable, picklable arguments,
small return values. The Prefect tasks in clean_corpus.py only call them.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
)
from cleaners.config import Config
from cleaners.dedup.deduplicator import (
    Clusters,
    Deduplicator,
    Fingerprints,
    SignatureLoader,
    fingerprint,
    hasher,
)
from cleaners.dedup.settings import bands_and_rows
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

BATCH = 1000  # documents in memory at once within a shard
PART_ROWS = 2_000_000  # stored chrome rows a reduce holds at once (some 40 bytes each)
STORED_ROW_GROUP = 16_384  # rows per row group of chrome's stored tables (sorted by hash)


def clean(shard: Shard, config: Config, out: str, line_frequency: str | None) -> int:
    """Read a shard's documents, clean each; write the cleaned shard, and (when given a path)
    on how many of the shard's pages of each site each line is (chrome's pass 1). Returns
    the rows."""
    cleaner = DocumentCleaner(config)
    frequency = SiteLineFrequency()
    cleaned = (cleaner.run_safely(doc) for doc in read_shard(shard))
    with TableWriter(Path(out), CLEANED_SCHEMA) as writer:  # written last: the shard is done
        for batch in batched(cleaned, BATCH):
            if line_frequency:
                for doc in batch:
                    if doc.reason is None:
                        frequency.count(doc.text, doc.site)
            writer.write(documents_to_table(batch))
        if line_frequency:
            write_table(frequency.to_table(), Path(line_frequency), STORED_ROW_GROUP)
    return writer.rows


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
        for text, site in zip(live["text"].to_pylist(), live["site"].to_pylist(), strict=True):
            articles.count(text, site)
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
            rows = table.to_pylist()
            for row in rows:
                if row["reason"] is None and row["site"]:
                    text, removed = strip(row["text"], row["site"])
                    if removed:
                        row["text"] = text.strip("\n")
                        row["changes"] = [*row["changes"], *(c._asdict() for c in removed)]
                        row["reason"] = None if row["text"].strip() else EMPTY
            writer.write(pa.Table.from_pylist(rows, schema=CLEANED_SCHEMA))
    return writer.rows


def fingerprints(cleaned: str, config: Config, out: str) -> int:
    """Exact keys, lengths, MinHash signatures and band keys of a cleaned shard's live rows,
    computed batch by batch (the shard's texts are never all in memory)."""
    dedup = config.dedup
    schema = fingerprint_schema(dedup.num_perm, bands_and_rows(dedup.threshold, dedup.num_perm)[0])
    minhasher = hasher(dedup) if dedup.enabled else None
    live_rows = 0
    with TableWriter(Path(out), schema) as writer:
        for table in read_batches(Path(cleaned), BATCH):
            live = pc.is_null(table["reason"])
            prints = None
            if minhasher is not None:
                texts = table["text"].filter(live).to_pylist()
                prints = fingerprint(texts, dedup, minhasher)
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
        keys=rows["key"].to_pylist(),
        lengths=rows["length"].to_numpy(),
        signatures=_matrix(rows["signature"]) if "signature" in rows.column_names else None,
        bands=_matrix(rows["bands"]),
    )


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    values = column.combine_chunks()
    return values.flatten().to_numpy().reshape(-1, values.type.list_size)


WITHOUT_SIGNATURES = ["doc_id", "source", "key", "length", "bands"]


def signature_loader(files: list[tuple[Path, pa.Array]], num_perm: int) -> SignatureLoader:
    """Signatures by row number over the live rows of `files` (path, live mask) in order,
    read one file at a time and only from the files that have a row asked for."""

    def load(rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), num_perm), dtype=np.uint32)
        start, filled = 0, 0
        for path, live in files:
            where = np.flatnonzero(live.to_numpy(zero_copy_only=False))
            mine = rows[filled : filled + np.searchsorted(rows[filled:], start + len(where))]
            if len(mine):
                column = read_table(path, columns=["signature"])["signature"]
                out[filled : filled + len(mine)] = _matrix(column.take(where[mine - start]))
            filled += len(mine)
            start += len(where)
        return out

    return load


def cluster(fingerprint_paths: list[str], config: Config, work: str, index: str | None) -> dict:
    """Decide every row's final doc_id and cluster; one decisions file per shard. With the
    dedup on, the documents kept by earlier runs into the same output (the index folder
    `index`, when there is one) take part as fixed representatives, and the new index (them
    plus what this run keeps) is written into the staging folder. Signatures stay on disk
    but for the documents that share a band with another. Returns the decisions' paths and
    a summary of the index."""
    dedup = Deduplicator(config.dedup)
    seen: set[str] = set()
    shards: list[tuple[list[str], list[int | None]]] = []  # ids, row in dedup (None: not deduped)
    signed: list[tuple[Path, pa.Array]] = []  # where the signatures are, in the order added
    for path in fingerprint_paths:
        table = read_table(Path(path), columns=WITHOUT_SIGNATURES)
        ids = unique_ids(table["doc_id"].to_pylist(), table["source"].to_pylist(), seen)
        live = pc.is_valid(table["key"]) if config.dedup.enabled else pa.repeat(False, len(ids))
        live = live.combine_chunks() if isinstance(live, pa.ChunkedArray) else live
        rows: list[int | None] = []
        next_row = len(dedup.doc_ids)
        for ok in live.to_pylist():
            rows.append(next_row if ok else None)
            next_row += ok
        shards.append((ids, rows))
        if config.dedup.enabled:
            kept_ids = [doc_id for doc_id, row in zip(ids, rows, strict=True) if row is not None]
            dedup.add(kept_ids, read_fingerprints(table, live))
            signed.append((Path(path), live))
        del table
    staging_index = Path(work) / STAGING / INDEX
    prior = read_index(Path(index), seen) if index and config.dedup.enabled else []
    for path, standing in prior:
        table = read_table(path, columns=WITHOUT_SIGNATURES).filter(standing)
        dedup.add_prior(table["doc_id"].to_pylist(), read_fingerprints(table, None))
    clusters = dedup.resolve(signature_loader(list(prior) + signed, config.dedup.num_perm))
    decisions = []
    for path, (ids, rows) in zip(fingerprint_paths, shards, strict=True):
        out = Path(work) / "decisions" / Path(path).name
        write_table(_decisions_table(ids, rows, clusters), out)
        decisions.append(str(out))
    if not config.dedup.enabled:
        summary = copy_index(Path(index) if index else None, staging_index)
    else:
        kept = clusters.kept
        summary = write_index(
            staging_index,
            config.dedup,
            prior,
            [
                (path, ids, [row is not None and kept[row] for row in rows])
                for path, (ids, rows) in zip(fingerprint_paths, shards, strict=True)
            ],
        )
    return {"decisions": decisions, "index": summary}


def unique_ids(ids: list[str], sources: list[str], seen: set[str]) -> list[str]:
    """Stated rule: the first document with an id keeps it; a later one becomes id@source."""
    unique = []
    for doc_id, source in zip(ids, sources, strict=True):
        if doc_id in seen:
            doc_id = f"{doc_id}@{source}"
        seen.add(doc_id)
        unique.append(doc_id)
    return unique


def _decisions_table(ids: list[str], rows: list[int | None], clusters: Clusters) -> pa.Table:
    def column(values: list) -> list:
        return [None if r is None else values[r] for r in rows]

    return pa.table(
        {
            "doc_id": ids,
            "cluster_id": column(clusters.cluster_id),
            "cluster_size": column(clusters.cluster_size),
            "duplicate_of": column(clusters.duplicate_of),
            "similarity": column(clusters.similarity),
            "reason": column(clusters.reason),
        },
        schema=DECISIONS_SCHEMA,
    )


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
