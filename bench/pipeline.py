#!/usr/bin/env python3
"""Throughput and memory of the whole pipeline: `clean-corpus run` on generated corpora.

    .venv/bin/python bench/pipeline.py --docs 100000 --workers 1 2
    .venv/bin/python bench/pipeline.py --docs 1000000 --workers 2
    .venv/bin/python bench/pipeline.py --html 2000 --workers 1 2
    .venv/bin/python bench/pipeline.py --html 2000 --workers 2 --repeat 3

Corpora come from ../shared/bench/gen_corpus.py (generated once into bench/corpora/, which is
git-ignored; the generator needs Debian's r-cran-janeaustenr and/or debian-handbook). HTML
pages are the development pages of ../shared/datasets/trafilatura-eval/ repeated.

For each run it prints: wall time of the command; the flow's own time from the first
document read to the last row written (manifest.json `seconds.total`) and, beside it, what
Prefect's start-up and shut-down cost (wall minus flow); MB/s of input per core and docs/s
over the flow's time; peak RSS of the whole process tree (sampled every 0.1 s from /proc);
and each stage's share of the flow's time, the clean stage's split by step (read, html,
encoding, escapes, boilerplate, line counts, write) as well. Beside the runs, what the two
cores give the peers and parts by themselves: the cleaner alone in one process and in two at
once (JSONL), trafilatura alone in one process and in two at once (HTML). Run it alone:
other jobs on the machine stretch it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CLI = REPO / ".venv" / "bin" / "clean-corpus"
STAGES = (
    "plan",
    "clean",
    "site-lines",
    "count-chrome",
    "chrome",
    "signatures",
    "cluster",
    "write",
)
# the clean stage's steps (flows/stages.clean): reading and decoding the input, HTML
# extraction, the three cleaners, chrome's line counts (pass 1), writing the cleaned shard
CLEAN_STEPS = ("read", "html", "encoding", "escapes", "boilerplate", "line counts", "write")


def _role(pid: int, root: int) -> str:
    """Which part of a run a process is: the run itself, Prefect's temporary API server, or a
    worker process (multiprocessing spawn)."""
    if pid == root:
        return "run"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        return "other"
    if b"uvicorn" in cmdline:
        return "prefect server"
    return "worker" if b"multiprocessing" in cmdline else "other"


def tree_rss_by_role(pid: int) -> dict[str, float]:
    """Resident memory (MB) of a process and all its descendants, from /proc, by role."""
    roles: dict[str, float] = {}
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        role = _role(p, pid)
                        roles[role] = roles.get(role, 0.0) + int(line.split()[1]) / 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return roles


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    return sum(tree_rss_by_role(pid).values())


PEAK_BY_ROLE: dict[str, float] = {}  # what the tree held at its peak, by role (last run)


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak tree RSS in MB, exit code (PEAK_BY_ROLE: that peak's parts)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    done = threading.Event()
    PEAK_BY_ROLE.clear()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            roles = tree_rss_by_role(process.pid)
            if sum(roles.values()) > peak:
                peak = sum(roles.values())
                PEAK_BY_ROLE.clear()
                PEAK_BY_ROLE.update(roles)
                PEAK_BY_ROLE["_before_end_s"] = -time.perf_counter()  # made relative below
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if "_before_end_s" in PEAK_BY_ROLE:  # how long before the process ended the peak was
        PEAK_BY_ROLE["_before_end_s"] += time.perf_counter()
    if process.returncode:
        sys.stderr.write(stderr.decode(errors="replace")[-3000:])
    return wall, peak, process.returncode


def generate(docs: int, corpora: Path) -> Path:
    folder = corpora / f"gen{docs}"
    if not (folder / "docs.jsonl").exists():
        print(f"generating {docs} documents into {folder} ...", file=sys.stderr, flush=True)
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "bench" / "gen_corpus.py"),
                "--docs",
                str(docs),
                "--seed",
                "1",
                "--out",
                str(folder),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder / "docs.jsonl"


def html_pages(pages: int, corpora: Path) -> Path:
    import pyarrow.parquet as pq

    folder = corpora / f"html{pages}"
    if not folder.exists():
        table = pq.read_table(
            SHARED / "datasets" / "trafilatura-eval" / "dev.parquet", columns=["html"]
        )
        htmls = table["html"].to_pylist()
        partial = corpora / f".html{pages}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for i in range(pages):
            (partial / f"page{i:06d}.html").write_bytes(htmls[i % len(htmls)])
        partial.rename(folder)
    return folder


def trafilatura_alone(folder: Path, options: str, processes: int = 1) -> float:
    """Seconds for trafilatura to extract every page (bytes in, as we do), with `options`,
    a function of cleaners.html: extraction_options (with its metadata, which gives the
    title) or text_options (the same text, no metadata: what clean-corpus asks of it, taking
    the title from the parsed tree itself). With `processes` > 1, that many processes at
    once, each on every processes-th page: the slowest one's seconds (what two cores give
    trafilatura itself, the ceiling of a two-worker run that runs it on every page)."""
    code = (
        "import sys, time, pathlib, trafilatura\n"
        f"from cleaners.html import {options} as options\n"
        "k, n = int(sys.argv[2]), int(sys.argv[3])\n"
        "paths = sorted(pathlib.Path(sys.argv[1]).glob('*.html'))[k::n]\n"
        "pages = [p.read_bytes() for p in paths]\n"
        "t = time.perf_counter()\n"
        "for page in pages:\n"
        "    trafilatura.bare_extraction(page, **options())\n"
        "print(time.perf_counter() - t)\n"
    )
    return max(_at_once(code, [[str(folder), str(k), str(processes)] for k in range(processes)]))


def cleaner_alone(jsonl: Path, docs: int, processes: int) -> list[float]:
    """MB/s of CPU time of the cleaner by itself (cleaners.pipeline.DocumentCleaner, no
    Prefect, no files written) on the first `docs` documents, in `processes` processes at
    once, each on every processes-th document: what the cores give the cleaner before any
    reading, counting or writing (the cap of the clean stage)."""
    code = (
        "import sys, time, json, itertools\n"
        "from cleaners.document import Document\n"
        "from cleaners.config import Config\n"
        "from cleaners.pipeline import DocumentCleaner\n"
        "k, n, docs = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])\n"
        "rows = [json.loads(line) for line in itertools.islice(open(sys.argv[1]), docs)][k::n]\n"
        "documents = [Document(r['id'], 'bench', r['text'], r.get('title'), r.get('site'))\n"
        "             for r in rows]\n"
        "cleaner = DocumentCleaner(Config.load())  # the shipped rules, as a run has\n"
        "cleaner.run(documents[0])  # jusText's stoplists load once per process\n"
        "t = time.process_time()\n"
        "for doc in documents:\n"
        "    cleaner.run(doc)\n"
        "mb = sum(len(r['text'].encode()) for r in rows) / 1e6\n"
        "print(mb / (time.process_time() - t))\n"
    )
    runs = [[str(jsonl), str(k), str(processes), str(docs)] for k in range(processes)]
    return _at_once(code, runs)


def _at_once(code: str, argvs: list[list[str]]) -> list[float]:
    """Runs `code` in one process per argv, all at once; the number each prints. Their
    warnings go to files, not pipes: a pipe nobody reads yet would stall (and slow) a
    process that logs a lot while we wait for another."""
    python = str(REPO / ".venv" / "bin" / "python")
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in argvs]
        running = [
            subprocess.Popen(
                [python, "-c", code, *argv], cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True
            )
            for argv, log in zip(argvs, logs, strict=True)
        ]
        found = []
        for process, log in zip(running, logs, strict=True):
            out, _ = process.communicate()
            if process.returncode:
                log.seek(0)
                raise SystemExit(f"benchmark process failed: {log.read()[-2000:]}")
            found.append(float(out.strip().splitlines()[-1]))
    return found


def _stage_at(seconds: dict[str, float], before_end: float | None) -> str:
    """The stage running when the peak was sampled, counting back from the process's end
    (the flow's stages end about a second before it: Prefect's shut-down, publishing)."""
    if before_end is None:
        return "?"
    left = before_end - 1.0
    for stage in reversed(STAGES):
        left -= seconds.get(stage, 0.0)
        if left < 0:
            return stage
    return "start-up"


def measure(inputs: Path, workers: int, env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory(dir=REPO / "bench") as tmp:
        out = Path(tmp) / "out"
        command = [str(CLI), "run", str(inputs), "--out", str(out), "--workers", str(workers)]
        wall, peak, code = run_measured(command, env)
        if code:
            raise SystemExit(f"clean-corpus failed ({code}): {' '.join(command)}")
        manifest = json.loads((out / "manifest.json").read_text())
    size = (
        sum(p.stat().st_size for p in inputs.glob("*"))
        if inputs.is_dir()
        else inputs.stat().st_size
    )
    flow_s = manifest["seconds"]["total"]
    return {
        "docs": manifest["counts"]["in"],
        "mb": size / 1e6,
        "workers": workers,
        "wall": wall,
        "flow": flow_s,
        "prefect": wall - flow_s,
        "peak_mb": peak,
        "peak_parts": {k: v for k, v in PEAK_BY_ROLE.items() if not k.startswith("_")},
        "peak_stage": _stage_at(manifest["seconds"], PEAK_BY_ROLE.get("_before_end_s")),
        "mb_per_core": size / 1e6 / flow_s / workers,
        "docs_per_s": manifest["counts"]["in"] / flow_s,
        "shares": {s: manifest["seconds"].get(s, 0) / flow_s for s in STAGES},
        "clean_steps": manifest.get("clean_steps", {}),
    }


def print_clean_steps(rows: list[dict]) -> None:
    """The clean stage split into its steps, as shares of the whole flow's time: each step's
    worker seconds (manifest.json `clean_steps`) over all of them, times the stage's share."""
    print("\nthe clean stage by step, share of the flow's time\n")
    print("| docs | workers | " + " | ".join(CLEAN_STEPS) + " |")
    print("|" + "---|" * (2 + len(CLEAN_STEPS)))
    for r in rows:
        total = sum(r["clean_steps"].values()) or 1.0
        shares = " | ".join(
            f"{r['shares']['clean'] * r['clean_steps'].get(step, 0.0) / total:.0%}"
            for step in CLEAN_STEPS
        )
        print(f"| {r['docs']:,} | {r['workers']} | {shares} |", flush=True)


def print_rows(rows: list[dict], title: str) -> None:
    print(f"\n{title}\n")
    print(
        "| docs | input MB | workers | wall s | flow s (first read to last write) "
        "| Prefect start-up + shut-down s | MB/s per core | docs/s | peak RSS MB | "
        + " | ".join(STAGES)
        + " |"
    )
    print("|" + "---|" * (9 + len(STAGES)))
    for r in rows:
        shares = " | ".join(f"{r['shares'][s]:.0%}" for s in STAGES)
        print(
            f"| {r['docs']:,} | {r['mb']:.0f} | {r['workers']} | {r['wall']:.1f} | {r['flow']:.1f} "
            f"| {r['prefect']:.1f} | {r['mb_per_core']:.2f} | {r['docs_per_s']:,.0f} "
            f"| {r['peak_mb']:,.0f} | {shares} |",
            flush=True,
        )
    for r in rows:
        parts = ", ".join(f"{role} {mb:,.0f}" for role, mb in sorted(r["peak_parts"].items()))
        print(
            f"\npeak RSS with {r['workers']} worker(s), MB by process: {parts} "
            f"(during {r['peak_stage']}, as timed from the end)"
        )
    print_clean_steps(rows)
    one = next((r for r in rows if r["workers"] == 1), None)
    for r in rows:
        if one and r is not one:
            print(
                f"{r['workers']} workers: {one['wall'] / r['wall']:.2f}x the wall time speed of "
                f"1, {one['flow'] / r['flow']:.2f}x its flow time",
                flush=True,
            )


def print_cleaner_alone(jsonl: Path, docs: int) -> None:
    one = cleaner_alone(jsonl, docs, 1)[0]
    two = cleaner_alone(jsonl, docs, 2)
    each = " and ".join(f"{x:.2f}" for x in two)
    print(
        f"\nthe cleaner alone on the first {docs:,} documents, MB/s of CPU time: {one:.2f} in "
        f"one process; {each} in two at once (the cap of the clean stage per core)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="*", default=[], help="generated corpus sizes")
    parser.add_argument("--html", type=int, default=0, help="HTML pages (0: none)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--corpora", type=Path, default=REPO / "bench" / "corpora")
    parser.add_argument(
        "--repeat", type=int, default=1, help="HTML: rounds of trafilatura alone, then our runs"
    )
    parser.add_argument(
        "--cleaner-docs",
        type=int,
        default=3000,
        help="JSONL: also time the cleaner alone on this many documents, in 1 and 2 processes "
        "(0: not)",
    )
    args = parser.parse_args()
    env = {
        **os.environ,
        "PREFECT_HOME": str(REPO / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_API_URL", None)
    args.corpora.mkdir(parents=True, exist_ok=True)
    print(f"load before: {os.getloadavg()[0]:.2f}, cores: {len(os.sched_getaffinity(0))}")
    for docs in args.docs:
        jsonl = generate(docs, args.corpora)
        print_rows(
            [measure(jsonl, w, env) for w in args.workers], f"JSONL, {docs:,} generated documents"
        )
        if args.cleaner_docs:
            print_cleaner_alone(jsonl, min(args.cleaner_docs, docs))
    if args.html:
        folder = html_pages(args.html, args.corpora)
        ratios: dict[tuple[int, str], list[float]] = {}
        for round_ in range(1, args.repeat + 1):
            # trafilatura alone just before the runs it is compared with: the machine drifts
            baselines = {
                "text only": trafilatura_alone(folder, "text_options"),
                "with metadata": trafilatura_alone(folder, "extraction_options"),
            }
            two = trafilatura_alone(folder, "text_options", processes=2)
            rows = [measure(folder, w, env) for w in args.workers]
            of = f", round {round_} of {args.repeat}" if args.repeat > 1 else ""
            print_rows(rows, f"HTML, {args.html:,} pages{of}")
            print()
            for name, alone in baselines.items():
                print(
                    f"trafilatura alone, one process, {name}: {alone:.1f} s, "
                    f"{args.html / alone:.1f} pages/s"
                )
            print(
                f"trafilatura alone, two processes at once, text only: {two:.1f} s, "
                f"{args.html / two:.1f} pages/s = {baselines['text only'] / two:.2f}x one "
                "process (what two cores give trafilatura itself)"
            )
            for r in rows:
                pages_s = r["docs"] / r["flow"]
                for name, alone in baselines.items():
                    ratios.setdefault((r["workers"], name), []).append(
                        pages_s / (args.html / alone)
                    )
                said = ", ".join(
                    f"{pages_s / (args.html / alone):.2f}x trafilatura alone {name}"
                    for name, alone in baselines.items()
                )
                print(f"clean-corpus, {r['workers']} worker(s): {pages_s:.1f} pages/s = {said}")
                ratios.setdefault((r["workers"], "text only, two processes"), []).append(
                    pages_s / (args.html / two)
                )
        if args.repeat > 1:
            print()
            for (workers, name), found in ratios.items():
                each = ", ".join(f"{x:.2f}x" for x in found)
                print(
                    f"{workers} worker(s) against trafilatura alone {name}: median "
                    f"{statistics.median(found):.2f}x of {args.repeat} rounds ({each})"
                )
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
