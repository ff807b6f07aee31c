"""The Prefect flow `clean_corpus`: plan shards, clean each, fingerprint each, cluster, write,
publish. Tasks pass file paths and small summaries, never lists of texts (Prefect walks task
arguments and results element by element); the work itself lives in flows/stages.py.

Every shard result is a file in a work folder keyed by the run's inputs and config: a run
that was interrupted, started again, skips the shards that are already done.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from cleaners.config import Config
from flows import stages, workers
from flows.io import OUTPUT_SCHEMA, Shard, find_input_files, plan_shards, scan_inputs, write_table
from flows.output import (
    STAGING,
    check_output_dir,
    output_lock,
    package_versions,
    prepare_work_dir,
    publish,
    run_key,
    write_manifest,
)


@task(name="plan", cache_policy=NO_CACHE)
def plan(inputs: list[str], shard_size: int) -> list[Shard]:
    return plan_shards(find_input_files(inputs), shard_size)


@task(name="clean", task_run_name="clean-{shard.name}", cache_policy=NO_CACHE)
def clean(shard: Shard, config: Config, work: str) -> str:
    out = Path(work) / "cleaned" / f"part-{shard.name}.parquet"
    if not out.exists():
        workers.run(stages.clean, shard, config, str(out))
    return str(out)


@task(name="signatures", task_run_name="signatures-{name}", cache_policy=NO_CACHE)
def signatures(name: str, cleaned: str, config: Config, work: str) -> str:
    out = Path(work) / "fingerprints" / f"part-{name}.parquet"
    if not out.exists():
        workers.run(stages.fingerprints, cleaned, config, str(out))
    return str(out)


@task(name="cluster", cache_policy=NO_CACHE)
def cluster(fingerprints: list[str], config: Config, work: str) -> list[str]:
    return stages.cluster(fingerprints, config, work)


@task(name="write", task_run_name="write-{name}", cache_policy=NO_CACHE, retries=2)
def write(name: str, cleaned: str, decisions: str, work: str) -> dict[str, int]:
    marker = Path(work) / "written" / f"part-{name}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    staging = str(Path(work) / STAGING)
    return workers.run(stages.write, name, cleaned, decisions, staging, str(marker))


@flow(name="clean_corpus", log_prints=True)
def clean_corpus(
    inputs: list[str],
    out: str = "data/clean",
    config: dict[str, Any] | None = None,
    workers_count: int | None = None,
) -> dict[str, Any]:
    """Clean and deduplicate INPUTS into OUT/corpus and OUT/rejected (Parquet) + manifest.json."""
    logger = get_run_logger()
    started = time.perf_counter()
    cfg = Config.load(**(config or {}))
    n_workers = workers_count or workers.default_workers()
    out_dir = Path(out)
    check_output_dir(out_dir)
    timings: dict[str, float] = {}

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        timings[stage] = round(now - since, 3)
        return now

    with output_lock(out_dir), workers.worker_pool(n_workers):
        scan = scan_inputs(inputs)
        if scan.skipped:
            logger.warning(
                "skipped %d file(s) that are not .txt/.jsonl/.html/.htm, e.g. %s",
                len(scan.skipped),
                scan.skipped[0],
            )
        key = run_key(scan.files, cfg.model_dump(mode="json"))
        work_dir = prepare_work_dir(out_dir, key)
        work = str(work_dir)
        t = time.perf_counter()
        shards = plan(inputs, cfg.run.shard_size)
        names = [s.name for s in shards]
        t = lap("plan", t)
        reused = sum((work_dir / "cleaned" / f"part-{name}.parquet").exists() for name in names)
        logger.info(
            "%d shard(s) (%d done by an interrupted run), %d worker process(es)",
            len(shards),
            reused,
            n_workers,
        )
        cleaned = _results(clean.map(shards, config=unmapped(cfg), work=unmapped(work)))
        t = lap("clean", t)
        prints = _results(signatures.map(names, cleaned, config=unmapped(cfg), work=unmapped(work)))
        t = lap("signatures", t)
        decisions = cluster(prints, cfg, work)
        t = lap("cluster", t)
        counts: Counter[str] = Counter()
        for result in _results(write.map(names, cleaned, decisions, work=unmapped(work))):
            counts.update(result)
        t = lap("write", t)
        staging = work_dir / STAGING
        for folder in ("corpus", "rejected"):  # an empty table still has its schema on disk
            if not (staging / folder).exists():
                write_table(OUTPUT_SCHEMA.empty_table(), staging / folder / "part-00000.parquet")
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
            "skipped_files": [str(p) for p in scan.skipped],
            "shards": len(shards),
            "shards_reused": reused,
            "workers": n_workers,
            "seconds": {**timings, "total": round(time.perf_counter() - started, 3)},
            "config": cfg.model_dump(mode="json"),
            "versions": package_versions(),
        }
        write_manifest(staging, summary)
        publish(staging, out_dir)
        shutil.rmtree(work_dir)
    logger.info(
        "%d documents in, %d kept, %d rejected -> %s",
        summary["counts"]["in"],
        kept,
        summary["counts"]["rejected"],
        out_dir,
    )
    return summary


def _results(futures: Any) -> list[Any]:
    return [future.result() for future in futures]
