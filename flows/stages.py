"""The work of each shard-level task, as plain functions from files to files.

They run in worker processes (or inline with one worker): importable, picklable arguments,
small return values. The Prefect tasks in clean_corpus.py only call them.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cleaners.chrome import (
    CHROME_SCHEMA,
    COUNTS_SCHEMA,
    ChromeCounter,
    ChromeLines,
    ChromeStripper,
)
from cleaners.config import Config
from cleaners.dedup import Clusters, Deduplicator, Fingerprints, fingerprint
from cleaners.pipeline import EMPTY, DocumentCleaner
from flows.io import (
    CLEANED_SCHEMA,
    DECISIONS_SCHEMA,
    OUTPUT_SCHEMA,
    Shard,
    TableWriter,
    batched,
    documents_to_table,
    fingerprint_schema,
    read_batches,
    read_shard,
    read_table,
    write_json,
    write_table,
)
from flows.report import ShardReport

BATCH = 1000  # documents in memory at once within a shard


def clean(shard: Shard, config: Config, out: str, chrome_counts: str | None) -> int:
    """Read a shard's documents, clean each; write the cleaned shard, and (when given a path)
    the shard's counts of recurring lines per site for the chrome stage. Returns the rows."""
    cleaner = DocumentCleaner(config)
    counter = ChromeCounter(config.chrome)
    cleaned = (cleaner.run_safely(doc) for doc in read_shard(shard))
    with TableWriter(Path(out), CLEANED_SCHEMA) as writer:  # written last: the shard is done
        for batch in batched(cleaned, BATCH):
            if chrome_counts:
                counter.count_batch((d.text, d.site) for d in batch if d.reason is None)
            writer.write(documents_to_table(batch))
        if chrome_counts:
            write_table(pa.table(counter.to_columns(), schema=COUNTS_SCHEMA), Path(chrome_counts))
    return writer.rows


def chrome(counts: list[str], config: Config, out: str) -> int:
    """Merge the shards' line counts and decide each site's chrome lines. Returns how many."""
    total = ChromeCounter.merge_all(
        ChromeCounter.from_columns(read_table(Path(path)).to_pydict(), config.chrome)
        for path in counts
    )
    lines = total.chrome_lines()
    write_table(pa.table(lines.to_columns(), schema=CHROME_SCHEMA), Path(out))
    return sum(len(hashes) for hashes in lines.sites.values())


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
    """Exact keys, lengths and MinHash signatures of a cleaned shard's live rows."""
    table = read_table(Path(cleaned), ["doc_id", "source", "text", "reason"])
    live = pc.is_null(table["reason"])
    texts = table["text"].filter(live).to_pylist()
    prints = fingerprint(texts, config.dedup) if config.dedup.enabled else None
    write_table(_fingerprint_table(table, live, prints, config.dedup.num_perm), Path(out))
    return len(texts)


def _fingerprint_table(
    table: pa.Table, live: pa.ChunkedArray, prints: Fingerprints | None, num_perm: int
) -> pa.Table:
    n = table.num_rows
    keys: list[bytes | None] = [None] * n
    lengths: list[int | None] = [None] * n
    signatures: list[list[int] | None] = [None] * n
    if prints is not None:
        rows = [i for i, ok in enumerate(live.to_pylist()) if ok]
        for j, i in enumerate(rows):
            keys[i] = prints.keys[j]
            lengths[i] = int(prints.lengths[j])
        sig_rows = prints.signatures.tolist()
        for j, i in enumerate(rows):
            signatures[i] = sig_rows[j]
    schema = fingerprint_schema(num_perm)
    return pa.table(
        {
            "doc_id": table["doc_id"],
            "source": table["source"],
            "key": pa.array(keys, schema.field("key").type),
            "length": pa.array(lengths, pa.int64()),
            "signature": pa.array(signatures, schema.field("signature").type),
        },
        schema=schema,
    )


def cluster(fingerprint_paths: list[str], config: Config, work: str) -> list[str]:
    """Decide every row's final doc_id and cluster; one decisions file per shard."""
    dedup = Deduplicator(config.dedup)
    seen: set[str] = set()
    shards: list[tuple[list[str], list[int | None]]] = []  # ids, row in dedup (None: not deduped)
    for path in fingerprint_paths:
        table = read_table(Path(path))
        ids = unique_ids(table["doc_id"].to_pylist(), table["source"].to_pylist(), seen)
        live = pc.is_valid(table["key"]) if config.dedup.enabled else pa.repeat(False, len(ids))
        rows: list[int | None] = []
        next_row = len(dedup.doc_ids)
        for ok in live.to_pylist():
            rows.append(next_row if ok else None)
            next_row += ok
        shards.append((ids, rows))
        if config.dedup.enabled:
            signatures = table["signature"].filter(live).combine_chunks()
            dedup.add(
                [doc_id for doc_id, row in zip(ids, rows, strict=True) if row is not None],
                Fingerprints(
                    keys=table["key"].filter(live).to_pylist(),
                    lengths=table["length"].filter(live).to_numpy(),
                    signatures=signatures.flatten().to_numpy().reshape(-1, config.dedup.num_perm),
                ),
            )
    clusters = dedup.resolve()
    decisions = []
    for path, (ids, rows) in zip(fingerprint_paths, shards, strict=True):
        out = Path(work) / "decisions" / Path(path).name
        write_table(_decisions_table(ids, rows, clusters), out)
        decisions.append(str(out))
    return decisions


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
