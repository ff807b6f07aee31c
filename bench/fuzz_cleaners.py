#!/usr/bin/env python3
"""Fuzz every cleaner and reader with hypothesis for a set time; report crashes (none allowed).

    .venv/bin/python bench/fuzz_cleaners.py --seconds 60     # per target

Each target gets generated input for its share of the time, in rounds of --batch examples.
A cleaner must not raise and must be idempotent; a reader must turn any bytes into documents
(rejected ones included) that can be written to Parquet. The property tests in tests/ are the
small, always-run version of this.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import BoilerplateStripper
from cleaners.config import Config
from cleaners.decoding import decode_bytes
from cleaners.encoding import EncodingFixer
from cleaners.escapes import EscapeFixer
from cleaners.html import extract_html
from cleaners.pipeline import DocumentCleaner
from flows.io import documents_to_table, plan_shards, read_shard

CONFIG = Config.load()
ARTIFACTS = st.sampled_from(
    [
        *"ÃÂâ€™“”‘’–—…•†‡ﬁＡ，　\x85\xa0\u200b",
        '\\"',
        "\\n",
        "\\t",
        "\\u00e9",
        "\\ud83d\\ude00",
        "&amp;quot;",
        "&nbsp;",
        "Ã©",
        "â€™",
        "Leave a Reply",
        "What's Your Reaction?",
        "Back To Top",
        "\n",
        "\n\n\n",
        "C:\\new",
        "<p>",
        "</div>",
        "\x00",
        "\ufeff",
        "\u2028",
        "\r\n",
        "Words_Joined_By_Underscores",
    ]
)
TEXT = st.lists(st.one_of(st.text(), ARTIFACTS), max_size=30).map("".join)
BYTES = st.one_of(
    st.binary(max_size=2000),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    TEXT.map(lambda t: t.encode("cp1252", "replace")),
)


def idempotent(fixer: Callable) -> Callable[[str], None]:
    def check(text: str) -> None:
        once = fixer(text).text
        assert fixer(once).text == once, f"not idempotent on {text!r}"

    return check


def read_bytes_as(suffix: str) -> Callable[[bytes], None]:
    def check(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"doc{suffix}"
            path.write_bytes(data)
            docs = [doc for shard in plan_shards([path], 100) for doc in read_shard(shard)]
            cleaner = DocumentCleaner(CONFIG)
            documents_to_table(cleaner.run_safely(d) for d in docs)

    return check


def cleaner_never_errors(text: str) -> None:
    from cleaners.document import Document

    doc = DocumentCleaner(CONFIG).run(Document("x", "x.txt", text))
    assert doc.reason in (None, "empty")


def fast_path_exact(text: str) -> None:
    fixer = EncodingFixer(CONFIG.encoding)
    for line in re.findall(r"[^\n]*\n|[^\n]+$", text):
        assert fixer.needs_ftfy(line) or fixer.fix_line(line) == line, f"fast path on {line!r}"


TARGETS: dict[str, tuple[st.SearchStrategy, Callable]] = {
    "encoding fast path": (TEXT, fast_path_exact),
    "encoding": (TEXT, idempotent(EncodingFixer(CONFIG.encoding))),
    "escapes": (TEXT, idempotent(EscapeFixer(CONFIG.escapes))),
    "boilerplate": (TEXT, idempotent(BoilerplateStripper(CONFIG.boilerplate))),
    "pipeline (text)": (TEXT, cleaner_never_errors),
    "html extraction": (TEXT, lambda t: extract_html(t)),
    "decode_bytes": (BYTES, lambda b: decode_bytes(b)),
    "reader .txt": (BYTES, read_bytes_as(".txt")),
    "reader .jsonl": (BYTES, read_bytes_as(".jsonl")),
    "reader .html": (BYTES, read_bytes_as(".html")),
}


def fuzz(name: str, strategy: st.SearchStrategy, check: Callable, seconds: float, batch: int):
    examples = 0
    crashes: list[str] = []

    @settings(
        max_examples=batch,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(value):
        nonlocal examples
        examples += 1
        check(value)

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            run()
        except Exception:
            crashes.append(traceback.format_exc(limit=3))
            if len(crashes) >= 3:
                break
    return examples, crashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="time per target")
    parser.add_argument("--batch", type=int, default=500, help="examples per hypothesis round")
    parser.add_argument("--only", help="comma-separated target names")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(TARGETS)
    print("| target | seconds | examples | crashes |\n|---|---|---|---|")
    failed = False
    for name in chosen:
        strategy, check = TARGETS[name]
        started = time.monotonic()
        examples, crashes = fuzz(name, strategy, check, args.seconds, args.batch)
        print(
            f"| {name} | {time.monotonic() - started:.0f} | {examples} | {len(crashes)} |",
            flush=True,
        )
        for crash in crashes:
            failed = True
            print(crash, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
