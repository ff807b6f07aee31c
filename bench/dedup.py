#!/usr/bin/env python3
"""Near-duplicate detection against the peers, on one corpus, in one run; prints one table.

    .venv/bin/python bench/dedup.py --corpus bench/corpora/gen10000 --repeat 2
    .venv/bin/python bench/dedup.py --corpus bench/corpora/gen100000 --pipeline

Default corpus: ../shared/bench/gen_corpus.py --docs 10000 --seed 1 (generated once into the
git-ignored bench/corpora/). Methods, each in a fresh child process, one core, fastest of
--repeat runs (peak RSS is the child's ru_maxrss; "after load" is the RSS once the texts are
in memory):

  ds_update, ds_bulk, rensa   the peers, driven by ../shared/bench/peers.py (its settings:
                              word 5-grams of text.lower().split(), 128 permutations, seed
                              1, threshold 0.7, LSH query+insert and union-find; no cleaning)
  ours_raw                    our dedup stage (cleaners.dedup: kernel signatures in batches
                              of 1,000 documents, band keys, verified candidates, star
                              clusters) on the same raw texts
  ours_cleaned                the same stage on the texts after our cleaning (the cleaned
                              text of every document from a `clean-corpus run` output of the
                              corpus, made first and not timed here; documents the cleaning
                              rejected are singletons)

Scores are pairwise precision/recall/F1 against truth.jsonl (peers.py's scoring). The
speed-ups are docs/s over rensa's and ds_update's. Also printed: the kernel's first-call
time with an empty numba cache (compiling) and with the cache filled.

--pipeline instead runs `clean-corpus run CORPUS/docs.jsonl` with default settings, measures
wall time and the peak RSS of the whole process tree, and scores the output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS_DIR = REPO.parent / "shared" / "bench"
sys.path[:0] = [str(REPO), str(PEERS_DIR), str(REPO / "bench")]
CLI = REPO / ".venv" / "bin" / "clean-corpus"
PEERS = ["ds_update", "ds_bulk", "rensa"]
BATCH = 1000  # documents per kernel call, as the flow's fingerprints stage


def load_truth(corpus: Path) -> tuple[dict[str, str], dict[str, tuple[str, str | None]]]:
    truth, near = {}, {}
    with (corpus / "truth.jsonl").open() as fh:
        for line in fh:
            r = json.loads(line)
            truth[r["id"]] = r["cluster"]
            if r.get("near_miss_kind"):
                near[r["id"]] = (r["near_miss_kind"], r.get("near_miss_of"))
    return truth, near


def scores(labels: list[str], ids: list[str], corpus: Path) -> dict:
    import peers

    truth, near = load_truth(corpus)
    result = peers.pair_scores(labels, ids, truth)
    result.update(peers.near_miss_scores(labels, ids, truth, near))
    return result


def cleaned_texts(out: Path) -> tuple[list[str], list[str], list[bool]]:
    """Every document of a clean-corpus output: ids, cleaned texts, live at dedup or not."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.concat_tables(
        pq.read_table(out / f, columns=["doc_id", "text", "reason"]) for f in ("corpus", "rejected")
    )
    reasons = table["reason"].to_pylist()
    live = [r in (None, "exact_duplicate", "near_duplicate") for r in reasons]
    return table["doc_id"].to_pylist(), table["text"].to_pylist(), live


def run_ours(corpus: Path, cleaned: Path | None) -> dict:
    """Our dedup stage, timed in this (fresh) process."""
    import peers

    from cleaners.config import DedupConfig
    from cleaners.dedup.deduplicator import Deduplicator, fingerprint, hasher
    from cleaners.dedup.settings import bands_and_rows

    if cleaned is None:
        ids, texts = peers.load(str(corpus))
        live = [True] * len(ids)
    else:
        ids, texts, live = cleaned_texts(cleaned)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    config = DedupConfig()
    minhasher = hasher(config)
    minhasher.sketch(["warm the kernel up: its compile is reported separately"])
    live_ids = [i for i, ok in zip(ids, live, strict=True) if ok]
    live_texts = [t for t, ok in zip(texts, live, strict=True) if ok]
    mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in live_texts) / 1e6
    started = time.perf_counter()
    dedup = Deduplicator(config)
    for start in range(0, len(live_texts), BATCH):
        batch = live_texts[start : start + BATCH]
        dedup.add(live_ids[start : start + BATCH], fingerprint(batch, config, minhasher))
    clusters = dedup.resolve()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    label = dict(zip(clusters.doc_ids, clusters.cluster_id, strict=True))
    labels = [label.get(i, i) for i in ids]
    bands, rows = bands_and_rows(config.threshold, config.num_perm)
    result = {
        "method": "ours_cleaned" if cleaned else "ours_raw",
        "docs": len(ids),
        "mb": round(mb, 1),
        "seconds": round(seconds, 2),
        "docs_per_s": round(len(ids) / seconds, 1),
        "mb_per_s": round(mb / seconds, 2),
        "rss_loaded_mb": round(rss_loaded),
        "peak_rss_mb": round(peak),
        "bands": bands,
        "rows": rows,
    }
    result.update(scores(labels, ids, corpus))
    return result


def first_call_seconds() -> dict[str, float]:
    """The kernel's first call in a fresh process: with an empty numba cache, then cached."""
    code = (
        "import time; t = time.perf_counter(); "
        "from cleaners.dedup.deduplicator import fingerprint; "
        "from cleaners.config import DedupConfig; c = DedupConfig(); "
        "from cleaners.dedup.deduplicator import Deduplicator; d = Deduplicator(c); "
        "d.add(['a', 'b'], fingerprint(['some words here', 'some words here too'], c)); "
        "d.resolve(); print(time.perf_counter() - t)"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        for name in ("empty cache", "cached"):
            env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
            done = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out[name] = round(float(done.stdout.strip()), 2)
    return out


def child(method: str, corpus: Path, cleaned: Path | None) -> dict | None:
    if method in PEERS:
        command = [sys.executable, str(PEERS_DIR / "peers.py"), "--run-one", method]
        command += ["--corpus", str(corpus)]
    else:
        command = [sys.executable, __file__, "--run-ours", method, "--corpus", str(corpus)]
        if cleaned:
            command += ["--cleaned", str(cleaned)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        print(f"{method} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def clean_output(corpus: Path, out: Path) -> Path:
    if not (out / "manifest.json").exists():
        print(f"cleaning {corpus} into {out} (not timed) ...", file=sys.stderr, flush=True)
        command = [str(CLI), "run", str(corpus / "docs.jsonl"), "--out", str(out), "--quiet"]
        subprocess.run(command, check=True)
    return out


def table(rows: list[dict]) -> None:
    speed = {r["method"]: r["docs_per_s"] for r in rows}
    print(
        "| method | docs | dedup s | docs/s | MB/s | peak RSS MB (after load) | bands x rows "
        "| P | R | F1 | false pairs | near-miss pairs merged | x rensa | x ds_update |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in r.get("near_miss_merged_by_kind", {}).items())
        ratios = [
            f"{r['docs_per_s'] / speed[p]:.1f}" if p in speed else "-"
            for p in ("rensa", "ds_update")
        ]
        print(
            f"| {r['method']} | {r['docs']:,} | {r['seconds']:.1f} | {r['docs_per_s']:,.0f} "
            f"| {r['mb_per_s']:.2f} | {r['peak_rss_mb']:,} ({r['rss_loaded_mb']:,}) "
            f"| {r['bands']}x{r['rows']} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {r['f1']:.3f} | {r.get('fp_pairs', 0):,} | {kinds} | {ratios[0]} | {ratios[1]} |"
        )


def pipeline(corpus: Path, out: Path, workers: int | None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pipeline import run_measured

    command = [str(CLI), "run", str(corpus / "docs.jsonl"), "--out", str(out), "--quiet"]
    if workers:
        command += ["--workers", str(workers)]
    wall, peak, code = run_measured(command, dict(os.environ))
    if code:
        raise SystemExit(f"clean-corpus run failed ({code})")
    manifest = json.loads((out / "manifest.json").read_text())
    result = pa.concat_tables(
        pq.read_table(out / f, columns=["doc_id", "cluster_id"]) for f in ("corpus", "rejected")
    )
    ids = result["doc_id"].to_pylist()
    labels = [c or i for c, i in zip(result["cluster_id"].to_pylist(), ids, strict=True)]
    s = scores(labels, ids, corpus)
    stages = manifest["seconds"]
    kinds = ", ".join(f"{k} {v}" for k, v in s.get("near_miss_merged_by_kind", {}).items())
    print(
        "| docs | workers | wall s | flow s | signatures s | cluster s | peak RSS MB (tree) "
        "| P | R | F1 | false pairs | near-miss pairs merged |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(ids):,} | {manifest['workers']} | {wall:.0f} | {stages['total']:.0f} "
        f"| {stages.get('signatures', 0):.1f} | {stages.get('cluster', 0):.1f} | {peak:,.0f} "
        f"| {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['fp_pairs']:,} "
        f"| {kinds} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, help="a gen_corpus.py folder (docs, truth)")
    parser.add_argument("--methods", default="ds_update,ds_bulk,rensa,ours_raw,ours_cleaned")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cleaned", type=Path, help="a clean-corpus output of the corpus")
    parser.add_argument("--pipeline", action="store_true", help="time clean-corpus run instead")
    parser.add_argument("--out", type=Path, help="--pipeline: output folder (default: temp)")
    parser.add_argument("--workers", type=int, help="--pipeline: worker processes")
    parser.add_argument("--run-ours", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.corpus is None:
        from pipeline import generate

        args.corpus = generate(10_000, REPO / "bench" / "corpora").parent
    if args.run_ours:
        print(json.dumps(run_ours(args.corpus, args.cleaned)))
        return
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    if args.pipeline:
        if args.out and args.out.exists() and any(args.out.iterdir()):
            # a run into an earlier output dedups against its index: every document a duplicate
            sys.exit(f"--out {args.out} is not empty: give a new folder")
        with tempfile.TemporaryDirectory(dir=REPO / "bench") as tmp:
            pipeline(args.corpus, args.out or Path(tmp) / "out", args.workers)
        print(f"load average after: {os.getloadavg()}", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(dir=REPO / "bench") as tmp:
        methods = args.methods.split(",")
        cleaned = None
        if "ours_cleaned" in methods:
            cleaned = args.cleaned or clean_output(args.corpus, Path(tmp) / "cleaned")
        print(f"kernel first call: {first_call_seconds()}", file=sys.stderr)
        rows = []
        for method in methods:
            runs = []
            for _ in range(1 if method == "ds_update" else args.repeat):
                result = child(method, args.corpus, cleaned if method == "ours_cleaned" else None)
                if result:
                    print(json.dumps(result), file=sys.stderr, flush=True)
                    runs.append(result)
            if runs:
                rows.append(min(runs, key=lambda r: r["seconds"]))
        table(rows)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
