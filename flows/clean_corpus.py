"""The Prefect flow `clean_corpus`: plan shards, clean each, find each site's chrome (common
lines, then per-shard counts, then the decision), fingerprint each, cluster, write, publish.
Tasks pass file paths and small summaries, never lists of texts (Prefect walks task arguments
and results element by element); the work itself lives in flows/stages.py.

Every shard result is a file in a work folder keyed by the run's inputs and config: a run
that was interrupted, started again, skips the shards that are already done.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from cleaners.config import Config
from flows import progress, workers
from flows.dedup_index import INDEX, check_index
from flows.io import (
    OUTPUT_SCHEMA,
    Shard,
    count_rows,
    find_input_files,
    plan_shards,
    scan_inputs,
    write_table,
)
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
from flows.report import markdown as report_markdown
from flows.report import merge as merge_reports
from flows.workers import stages

# From this many documents the corpus-wide steps (the two chrome reduces and the cluster
# step) run in a process of their own with the workers stopped: each worker holds ~600 MB
# of the cleaners' imports and caches, and beside them the reduce over every shard's line
# counts took a million-document run's tree to 1.93-1.96 GB (1.52 GB alone); the cluster
# step holds ~600 bytes a document. Below, a fresh process's few seconds of start-up are
# not worth it. With one worker (and on Dask) they run where the others do.
ALONE_FROM_DOCS = 200_000


@task(name="plan", task_run_name="plan", cache_policy=NO_CACHE)
def plan(inputs: list[str], shard_size: int, shard_mb: int, n_workers: int) -> list[Shard]:
    return plan_shards(find_input_files(inputs), shard_size, shard_mb << 20, n_workers)


@task(name="clean", task_run_name="clean-{shard.name}", cache_policy=NO_CACHE)
def clean(shard: Shard, config: Config, work: str) -> tuple[str, dict[str, float]]:
    """The cleaned shard's path, and the seconds of each cleaning step (none for a shard an
    interrupted run had cleaned)."""
    out = Path(work) / "cleaned" / f"part-{shard.name}.parquet"
    frequency = Path(work) / "line-frequency" / f"part-{shard.name}.parquet"
    seconds = {}
    if not out.exists():
        line_frequency = str(frequency) if config.chrome.enabled else None
        seconds = workers.run(stages.clean, shard, config, str(out), line_frequency)
    progress.current().advance(shard.size)
    return str(out), seconds


@task(name="site-lines", task_run_name="site-lines", cache_policy=NO_CACHE)
def site_lines(shards: list[Shard], config: Config, work: str, alone: bool) -> str | None:
    """Each site's lines on several of its pages, from every shard's line frequencies."""
    return _chrome_reduce(
        stages.frequent_lines,
        "line-frequency",
        "site-lines.parquet",
        shards,
        config,
        work,
        "%d line(s) on several pages of their site",
        alone,
    )


@task(name="count-chrome", task_run_name="count-chrome-{shard.name}", cache_policy=NO_CACHE)
def count_chrome(shard: Shard, cleaned: str, frequent: str, config: Config, work: str) -> None:
    """A shard's documents' articles and the frequent lines each has."""
    out = Path(work) / "chrome-articles" / f"part-{shard.name}.parquet"
    if not out.exists():
        workers.run(stages.count_chrome, cleaned, frequent, config, str(out))
    progress.current().advance(shard.size)


@task(name="chrome", task_run_name="chrome", cache_policy=NO_CACHE)
def chrome(shards: list[Shard], config: Config, work: str, alone: bool) -> str | None:
    """Each site's recurring lines, from every shard's articles."""
    return _chrome_reduce(
        stages.chrome,
        "chrome-articles",
        "chrome-lines.parquet",
        shards,
        config,
        work,
        "%d chrome line(s) found across sites",
        alone,
    )


def _chrome_reduce(
    stage: workers.Stage,
    parts: str,
    name: str,
    shards: list[Shard],
    config: Config,
    work: str,
    found: str,
    alone: bool,
) -> str | None:
    """A corpus-wide step of the chrome stage: every shard's file in `parts` into the file
    `name` (kept from an interrupted run); `alone`: in a process of its own, the workers
    stopped. None when chrome is off or the step found no line: the steps after it then
    have nothing to count or strip, and are not run."""
    if not config.chrome.enabled:
        return None
    out = Path(work) / name
    if out.exists():
        rows = count_rows([out])
    else:
        paths = [str(Path(work) / parts / f"part-{s.name}.parquet") for s in shards]
        run = workers.run_alone if alone else workers.run
        rows = run(stage, paths, config, str(out))
        get_run_logger().info(found, rows)
    progress.current().advance(1)
    return str(out) if rows else None


@task(name="signatures", task_run_name="signatures-{shard.name}", cache_policy=NO_CACHE)
def signatures(
    shard: Shard, cleaned: str, chrome_lines: str | None, config: Config, work: str
) -> tuple[str, str]:
    """Strip the site chrome (when there is any), then fingerprint the shard. Returns the
    paths of the final cleaned shard and of its fingerprints."""
    final = Path(cleaned)
    if chrome_lines:
        final = Path(work) / "final" / f"part-{shard.name}.parquet"
        if not final.exists():
            workers.run(stages.strip_chrome, cleaned, chrome_lines, str(final))
    out = Path(work) / "fingerprints" / f"part-{shard.name}.parquet"
    if not out.exists():
        workers.run(stages.fingerprints, str(final), config, str(out))
    progress.current().advance(shard.size)
    return str(final), str(out)


@task(name="cluster", task_run_name="cluster", cache_policy=NO_CACHE)
def cluster(
    fingerprints: list[str], config: Config, work: str, index: str | None, alone: bool
) -> dict[str, Any]:
    """Decide duplicates (against the previous output's dedup index too) and write the
    merged index into the staging folder; `alone`: in a process of its own, the workers
    stopped. Returns the decisions' paths and index counts."""
    run = workers.run_alone if alone else workers.run
    decided = run(stages.cluster, fingerprints, config, work, index)
    progress.current().advance(1)
    return decided


@task(name="write", task_run_name="write-{shard.name}", cache_policy=NO_CACHE, retries=2)
def write(shard: Shard, cleaned: str, decisions: str, work: str) -> dict[str, Any]:
    marker = Path(work) / "written" / f"part-{shard.name}.json"
    if marker.exists():
        report = json.loads(marker.read_text())
    else:
        staging = str(Path(work) / STAGING)
        report = workers.run(stages.write, shard.name, cleaned, decisions, staging, str(marker))
    progress.current().advance(shard.size)
    return report


@flow(name="clean_corpus")
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
    check_index(out_dir, cfg.dedup)
    reporter = progress.current()
    marks: list[tuple[str, float]] = []  # (stage, when it started)

    def stage(name: str, total: int, unit: str = "docs") -> None:
        marks.append((name, time.perf_counter()))
        reporter.stage(name, total, unit)

    with output_lock(out_dir), ExitStack() as pool:
        scan = scan_inputs(inputs)
        if scan.skipped:
            logger.warning(
                "skipped %d file(s) that are not .txt/.jsonl/.html/.htm/.parquet, e.g. %s",
                len(scan.skipped),
                scan.skipped[0],
            )
        # the shards depend on the number of workers too (plan_shards evens them out)
        key = run_key(scan.files, {**cfg.model_dump(mode="json"), "plan_workers": n_workers})
        work_dir = prepare_work_dir(out_dir, key)
        work = str(work_dir)
        stage("plan", 1, "step")
        shards = plan(inputs, cfg.run.shard_size, cfg.run.shard_mb, n_workers)
        reporter.advance(1)
        n_workers = min(n_workers, max(len(shards), 1))  # more processes than shards idle
        pool.enter_context(workers.worker_pool(n_workers))
        total = sum(s.size for s in shards)
        reused = sum((work_dir / "cleaned" / f"part-{s.name}.parquet").exists() for s in shards)
        logger.info(
            "%d shard(s) (%d done by an interrupted run), %d worker process(es)",
            len(shards),
            reused,
            n_workers,
        )
        stage("clean", total)
        cleaned, clean_steps = _clean_results(
            clean.map(shards, config=unmapped(cfg), work=unmapped(work))
        )
        alone = n_workers > 1 and total >= ALONE_FROM_DOCS  # not on Dask (1 here)
        stage("site-lines", 1, "step")
        frequent = site_lines(shards, cfg, work, alone)
        chrome_lines = None
        if frequent:  # else no site has a line on several of its pages: no chrome to find
            stage("count-chrome", total)
            _results(
                count_chrome.map(shards, cleaned, unmapped(frequent), unmapped(cfg), unmapped(work))
            )
            stage("chrome", 1, "step")
            chrome_lines = chrome(shards, cfg, work, alone)
        stage("signatures", total)
        signed = _results(
            signatures.map(shards, cleaned, unmapped(chrome_lines), unmapped(cfg), unmapped(work))
        )
        finals, prints = [final for final, _ in signed], [path for _, path in signed]
        stage("cluster", 1, "step")
        previous_index = out_dir / INDEX
        decided = cluster(
            prints,
            cfg,
            work,
            str(previous_index) if previous_index.is_dir() else None,
            alone,
        )
        decisions = decided["decisions"]
        stage("write", total)
        written = _results(write.map(shards, finals, decisions, work=unmapped(work)))
        marks.append(("end", time.perf_counter()))
        staging = work_dir / STAGING
        for folder in ("corpus", "rejected"):  # an empty table still has its schema on disk
            if not (staging / folder).exists():
                write_table(OUTPUT_SCHEMA.empty_table(), staging / folder / "part-00000.parquet")
        seconds = {a: round(t2 - t1, 3) for (a, t1), (_, t2) in pairwise(marks)}
        summary = {
            "run_id": str(flow_run.get_id() or ""),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": [str(i) for i in inputs],
            "output": str(out_dir),
            **merge_reports(written),
            "skipped_files": [str(p) for p in scan.skipped],
            "dedup_index": decided["index"],
            "shards": len(shards),
            "shards_reused": reused,
            "workers": n_workers,
            "seconds": {**seconds, "total": round(time.perf_counter() - started, 3)},
            "clean_steps": clean_steps,
            "config": cfg.model_dump(mode="json"),
            "versions": package_versions(),
        }
        write_manifest(staging, summary)
        publish(staging, out_dir)
        shutil.rmtree(work_dir)
    create_markdown_artifact(
        markdown=report_markdown(summary),
        key="clean-corpus-report",
        description=f"clean-corpus run into {out_dir}",
    )
    counts = summary["counts"]
    logger.info(
        "%d documents in, %d kept, %d rejected -> %s",
        counts["in"],
        counts["kept"],
        counts["rejected"],
        out_dir,
    )
    return summary


def _results(futures: Any) -> list[Any]:
    return [future.result() for future in futures]


def _clean_results(futures: Any) -> tuple[list[str], dict[str, float]]:
    """The cleaned shards' paths, and the seconds of each cleaning step over all shards
    (worker seconds: with two workers, twice the stage's time at most)."""
    paths, steps = [], Counter()
    for path, seconds in _results(futures):
        paths.append(path)
        steps.update(seconds)
    return paths, {step: round(s, 6) for step, s in steps.items()}
