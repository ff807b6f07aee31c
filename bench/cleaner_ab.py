#!/usr/bin/env python3
"""The cleaner of a git revision against the working tree's, on the same generated documents.

    .venv/bin/python bench/cleaner_ab.py --base HEAD~3              # 3 rounds, both at once
    .venv/bin/python bench/cleaner_ab.py --base 8096869 --callgrind # instructions, not seconds

Each round runs DocumentCleaner (the shipped rules, no Prefect, no files) of both trees at
the same time, one per core, so the machine's drift from minute to minute falls on both; it
prints MB/s of CPU time for each and checks that both give the same output (a hash of every
document's text, changes and reason). On this 2-core machine a run's speed drifts by a
third, and a change of a few percent only shows in the same minutes or in instruction
counts: `--callgrind` counts those under valgrind (Debian's valgrind package), for the
cleaning alone (a run on one document is taken off: imports, rules, stoplists).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "bench" / "corpora" / "gen100000" / "docs.jsonl"
CLEAN = """
import hashlib, itertools, json, sys, time
sys.path.insert(0, sys.argv[1])
from cleaners.config import Config
from cleaners.document import Document
from cleaners.pipeline import DocumentCleaner
rows = [json.loads(line) for line in itertools.islice(open(sys.argv[2]), int(sys.argv[3]))]
docs = [Document(r["id"], "bench", r["text"], r.get("title"), r.get("site")) for r in rows]
cleaner = DocumentCleaner(Config.load())
cleaner.run(docs[0])  # jusText's stoplists load once per process
clock = time.process_time()
out = [cleaner.run(doc) for doc in docs]
seconds = time.process_time() - clock
digest = hashlib.sha1(repr([(d.text, d.changes, d.reason) for d in out]).encode()).hexdigest()
print(sum(len(r["text"].encode()) for r in rows) / 1e6 / seconds, digest[:12])
"""


def tree_of(revision: str, into: Path) -> Path:
    """The files of `revision` (git archive), unpacked into `into`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "cleaners"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def at_once(trees: list[Path], docs: int) -> list[tuple[float, str]]:
    """MB/s of CPU time and the output's hash of each tree's cleaner, all started together."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CLEAN, str(tree), str(CORPUS), str(docs)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for tree in trees
    ]
    results = []
    for run in runs:
        speed, digest = run.communicate()[0].split()
        results.append((float(speed), digest))
    return results


def instructions(tree: Path, docs: int) -> int:
    """Instructions valgrind counts for cleaning `docs` documents, less a run on one."""

    def counted(n: int) -> int:
        with tempfile.NamedTemporaryFile() as out:
            valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}"]
            log = subprocess.run(
                [*valgrind, sys.executable, "-c", CLEAN, str(tree), str(CORPUS), str(n)],
                capture_output=True,
                text=True,
                check=True,
            ).stderr
        return int(re.search(r"Collected : (\d+)", log).group(1))

    # numba compiles the kernels a tree's cache lacks (a new tree, an edited kernel, the CPU
    # valgrind shows) and stores them: a run that compiles is not one of the counted two
    counted(1)
    return counted(docs) - counted(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--docs", type=int, default=3000, help="documents (default 3000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--callgrind", action="store_true", help="count instructions (400 documents by default)"
    )
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is missing: bench/pipeline.py --docs 100000 generates it")
    with tempfile.TemporaryDirectory() as tmp:
        base = tree_of(args.base, Path(tmp))
        if args.callgrind:
            docs = args.docs if args.docs != 3000 else 400
            before, after = instructions(base, docs), instructions(REPO, docs)
            print(f"{docs} documents, instructions of the cleaning (callgrind):")
            print(f"{args.base}: {before:,}\nworking tree: {after:,} ({after / before - 1:+.1%})")
            return 0
        print(f"| round | {args.base} MB/s | working tree MB/s | ratio | same output |")
        print("|---|---|---|---|---|")
        for k in range(1, args.rounds + 1):
            (old, old_hash), (new, new_hash) = at_once([base, REPO], args.docs)
            same = "yes" if old_hash == new_hash else f"NO ({old_hash} / {new_hash})"
            print(f"| {k} | {old:.2f} | {new:.2f} | {new / old:.2f}x | {same} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
