"""The Prefect flow `clean_corpus`: plan shards, clean each, find duplicates, write, publish.

Tasks pass file paths and small summaries, never lists of texts (Prefect walks task
arguments and results element by element).
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from cleaners.config import Config
from cleaners.dedup import Deduplicator
from cleaners.pipeline import DocumentCleaner
from flows.io import (
    DECISIONS_SCHEMA,
    OUTPUT_SCHEMA,
    Shard,
    documents_to_table,
    find_input_files,
    plan_shards,
    read_shard,
    read_table,
    write_table,
)
from flows.output import (
    check_output_dir,
    make_staging_dir,
    package_versions,
    publish,
    write_manifest,
)

WORK = "_work"


@task(name="plan", cache_policy=NO_CACHE)
def plan(inputs: list[str], shard_size: int) -> list[Shard]:
    return plan_shards(find_input_files(inputs), shard_size)


@task(name="clean", task_run_name="clean-{shard.name}", cache_policy=NO_CACHE)
def clean_shard(shard: Shard, config: Config, work: str) -> str:
    cleaner = DocumentCleaner(config)
    docs = [cleaner.run(doc) for doc in read_shard(shard)]
    path = Path(work) / "cleaned" / f"part-{shard.name}.parquet"
    write_table(documents_to_table(docs), path)
    return str(path)


@task(name="dedup", cache_policy=NO_CACHE)
def find_duplicates(cleaned: list[str], config: Config, work: str) -> list[str]:
    """Decide, for every cleaned row, its final doc_id and its cluster; one file per shard."""
    dedup = Deduplicator(config.dedup)
    seen: set[str] = set()
    shard_ids: list[list[str]] = []
    for path in cleaned:
        table = read_table(Path(path), ["doc_id", "source", "text", "reason"])
        ids = _unique_ids(table["doc_id"].to_pylist(), table["source"].to_pylist(), seen)
        shard_ids.append(ids)
        if config.dedup.enabled:
            live = pc.is_null(table["reason"]).to_pylist()
            dedup.add(
                [i for i, ok in zip(ids, live, strict=True) if ok],
                [t for t, ok in zip(table["text"].to_pylist(), live, strict=True) if ok],
            )
    clusters = dedup.resolve() if config.dedup.enabled else None
    position = {doc_id: i for i, doc_id in enumerate(clusters.doc_ids)} if clusters else {}

    decisions = []
    for path, ids in zip(cleaned, shard_ids, strict=True):
        rows = [position.get(doc_id) for doc_id in ids]

        def column(values: list[Any] | None, rows: list[int | None] = rows) -> list[Any]:
            return [None if r is None or values is None else values[r] for r in rows]

        table = pa.table(
            {
                "doc_id": ids,
                "cluster_id": column(clusters.cluster_id if clusters else None),
                "cluster_size": column(clusters.cluster_size if clusters else None),
                "duplicate_of": column(clusters.duplicate_of if clusters else None),
                "similarity": column(clusters.similarity if clusters else None),
                "reason": column(clusters.reason if clusters else None),
            },
            schema=DECISIONS_SCHEMA,
        )
        out = Path(work) / "decisions" / Path(path).name
        write_table(table, out)
        decisions.append(str(out))
    return decisions


def _unique_ids(ids: list[str], sources: list[str], seen: set[str]) -> list[str]:
    """Stated rule: the first document with an id keeps it; a later one becomes id@source."""
    unique = []
    for doc_id, source in zip(ids, sources, strict=True):
        if doc_id in seen:
            doc_id = f"{doc_id}@{source}"
        seen.add(doc_id)
        unique.append(doc_id)
    return unique


@task(name="write", task_run_name="write-{name}", cache_policy=NO_CACHE)
def write_shard(name: str, cleaned: str, decisions: str, staging: str) -> dict[str, int]:
    """Join a cleaned shard with its decisions; kept rows to corpus/, the rest to rejected/."""
    table = read_table(Path(cleaned))
    decided = read_table(Path(decisions))
    changes = table["changes"]
    renamed = pc.not_equal(table["doc_id"], decided["doc_id"])
    if pc.any(renamed).as_py():
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
    reason = pc.coalesce(table["reason"], decided["reason"])
    out = pa.table(
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
            "reason": reason,
            "site": table["site"],
            "metadata": table["metadata"],
        },
        schema=OUTPUT_SCHEMA,
    )
    kept = pc.is_null(reason)
    corpus, rejected = out.filter(kept), out.filter(pc.invert(kept))
    for folder, part in (("corpus", corpus), ("rejected", rejected)):
        if part.num_rows:
            write_table(part, Path(staging) / folder / f"part-{name}.parquet")
    counts = Counter(rejected["reason"].to_pylist())
    counts["kept"] = corpus.num_rows
    return dict(counts)


@flow(name="clean_corpus", log_prints=True)
def clean_corpus(
    inputs: list[str], out: str = "data/clean", config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Clean and deduplicate INPUTS into OUT/corpus and OUT/rejected (Parquet) + manifest.json."""
    logger = get_run_logger()
    started = time.perf_counter()
    cfg = Config.load(**(config or {}))
    out_dir = Path(out)
    check_output_dir(out_dir)
    staging = make_staging_dir(out_dir)
    work = staging / WORK
    timings: dict[str, float] = {}

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        timings[stage] = round(now - since, 3)
        return now

    try:
        t = time.perf_counter()
        shards = plan(inputs, cfg.run.shard_size)
        t = lap("plan", t)
        logger.info("%d input shard(s)", len(shards))
        cleaned = [
            f.result()
            for f in clean_shard.map(shards, config=unmapped(cfg), work=unmapped(str(work)))
        ]
        t = lap("clean", t)
        decisions = find_duplicates(cleaned, cfg, str(work))
        t = lap("dedup", t)
        written = write_shard.map(
            [s.name for s in shards], cleaned, decisions, staging=unmapped(str(staging))
        )
        counts: Counter[str] = Counter()
        for future in written:
            counts.update(future.result())
        t = lap("write", t)
        for folder in ("corpus", "rejected"):
            if not (staging / folder).exists():  # an empty table still has its schema on disk
                write_table(OUTPUT_SCHEMA.empty_table(), staging / folder / "part-00000.parquet")
        shutil.rmtree(work)
        kept = counts.pop("kept", 0)
        summary = {
            "run_id": str(flow_run.get_id() or ""),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": [str(i) for i in inputs],
            "output": str(out_dir),
            "counts": {
                "in": kept + sum(counts.values()),
                "kept": kept,
                "rejected": sum(counts.values()),
                "rejected_by_reason": dict(sorted(counts.items())),
            },
            "shards": len(shards),
            "seconds": {**timings, "total": round(time.perf_counter() - started, 3)},
            "config": cfg.model_dump(mode="json"),
            "versions": package_versions(),
        }
        write_manifest(staging, summary)
        publish(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info(
        "%d documents in, %d kept, %d rejected -> %s",
        summary["counts"]["in"],
        kept,
        summary["counts"]["rejected"],
        out_dir,
    )
    return summary
