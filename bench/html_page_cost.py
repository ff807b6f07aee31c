#!/usr/bin/env python3
"""What one HTML page costs a worker, step by step, beside trafilatura alone on the same page.

    .venv/bin/python bench/html_page_cost.py                  # 600 pages, 1 then 2 processes
    .venv/bin/python bench/html_page_cost.py --pages 2000 --processes 1

bench/pipeline.py --html times whole runs; this splits a worker's page (CPU ms) into the
reader's decoding, the extraction's parts (our parse of the page, its title, then
trafilatura on the tree, which copies it first) and the cleaners after it, and times
trafilatura's text-only bare_extraction (the strict baseline of issue #9) on the same page
just before ours, so the machine's drift falls on both. In two processes at once as well:
two workers can make at most 2 x (trafilatura's page alone / our page with both cores busy)
times trafilatura's pages/s in one process, before the stages after the clean stage and
the workers' start; this prints that cap.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura
from pipeline import html_pages

from cleaners.config import Config
from cleaners.decoding import declared_charset, decode_bytes
from cleaners.document import Document
from cleaners.html import load_page, page_title, text_options
from cleaners.line_features import page_stopwords
from cleaners.pipeline import DocumentCleaner

REPO = Path(__file__).resolve().parents[1]
STEPS = (
    "decode",
    "parse",
    "title",
    "trafilatura on the tree",
    "encoding",
    "escapes",
    "boilerplate",
)


def timed(fn, *args):
    """fn(*args) and the CPU milliseconds it took."""
    clock = time.process_time()
    result = fn(*args)
    return result, (time.process_time() - clock) * 1000


def measure(pages: list[bytes]) -> dict[str, float]:
    """CPU ms per page: trafilatura alone ("alone"), and each of our steps."""
    options = text_options()
    cleaner = DocumentCleaner(Config.load())
    cleaner.run(Document("warm", "warm", pages[0].decode(errors="replace"), content_type="html"))
    page_stopwords(["warm"])  # jusText's stoplists load once a process, not once a page
    trafilatura.bare_extraction(pages[0], **options)
    ours: Counter[str] = Counter()
    for data in pages:
        ours["alone"] += timed(lambda page=data: trafilatura.bare_extraction(page, **options))[1]
        decoded, ms = timed(decode_bytes, data, declared_charset(data))  # as flows/io reads
        ours["decode"] += ms
        text = decoded.text or ""
        tree, ms = timed(load_page, text)  # the parts of cleaners.html.extract_html, alone
        ours["parse"] += ms
        if tree is not None:
            ours["title"] += timed(page_title, tree)[1]
            ours["tree copy"] += timed(copy.copy, tree)[1]
        cleaner.seconds.clear()  # the cleaner's own clock per step (wall; the process is busy)
        cleaner.run(Document("page", "bench", text, content_type="html"))
        for step in ("html", "encoding", "escapes", "boilerplate"):
            ours[step] += cleaner.seconds[step] * 1000
    ours["trafilatura on the tree"] = ours["html"] - ours["parse"] - ours["title"]
    return {step: ms / len(pages) for step, ms in ours.items()}


def report(found: dict[str, float], title: str) -> float:
    """Prints the table; returns our page's ms in all."""
    total = sum(found[s] for s in STEPS)
    print(f"\n{title}\n\ntrafilatura alone, text only (bytes in): {found['alone']:.2f} ms")
    print("\n| step | ms per page | share of ours |\n|---|---|---|")
    for step in STEPS:
        print(f"| {step} | {found[step]:.2f} | {found[step] / total:.0%} |")
    print(f"| **ours in all** | **{total:.2f}** | |")
    print(
        f"\nof trafilatura on the tree, its copy of the tree: {found['tree copy']:.2f} ms;"
        f" ours / trafilatura alone: {total / found['alone']:.2f}x"
    )
    return total


def measure_at_once(paths: list[Path], processes: int, corpora: Path) -> dict[str, float]:
    """measure() in `processes` processes at once, each on every processes-th page; the
    mean of their figures."""
    if processes == 1:
        return measure([p.read_bytes() for p in paths])
    command = [sys.executable, __file__, "--pages", str(len(paths)), "--corpora", str(corpora)]
    running = [
        subprocess.Popen([*command, "--child", f"{k}/{processes}"], stdout=subprocess.PIPE)
        for k in range(processes)
    ]
    found = [json.loads(p.communicate()[0]) for p in running]
    if any(p.returncode for p in running):
        raise SystemExit("a measuring process failed")
    return {step: statistics.fmean(f[step] for f in found) for step in found[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=600, help="pages of bench/corpora/html2000")
    parser.add_argument("--corpora", type=Path, default=REPO / "bench" / "corpora")
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[1, 2], help="processes at once, in turn"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)  # k/n: pages k::n
    args = parser.parse_args()
    paths = sorted(html_pages(2000, args.corpora).glob("*.html"))[: args.pages]
    if args.child is not None:
        k, n = map(int, args.child.split("/"))
        print(json.dumps(measure([p.read_bytes() for p in paths[k::n]])))
        return 0
    ours: dict[int, float] = {}
    alone: dict[int, float] = {}
    for processes in args.processes:
        found = measure_at_once(paths, processes, args.corpora)
        at_once = "one process" if processes == 1 else f"{processes} processes at once"
        ours[processes] = report(found, f"{len(paths)} pages, {at_once}, CPU ms per page")
        alone[processes] = found["alone"]
    if 1 in ours:
        for n in (n for n in ours if n > 1):
            print(
                f"\n{n} at once against one: trafilatura's page costs "
                f"{alone[n] / alone[1] - 1:+.0%} CPU, ours {ours[n] / ours[1] - 1:+.0%}. "
                f"So {n} workers make at most {n} x {alone[1]:.2f} / {ours[n]:.2f} = "
                f"{n * alone[1] / ours[n]:.2f}x the pages/s of trafilatura alone in one "
                "process, before the stages after cleaning and the workers' start."
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
