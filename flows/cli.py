"""clean-corpus: the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

# Prefect reads its settings at import: quiet, offline, patient on a busy 2-core machine.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clean-corpus",
        description="Turn scraped web text into a clean, deduplicated Parquet corpus.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="clean and deduplicate inputs into a Parquet corpus",
        description=(
            "Run the Prefect flow clean_corpus: fix encoding and escapes, strip boilerplate "
            "lines, drop near-duplicates, and write OUT/corpus/*.parquet (kept documents), "
            "OUT/rejected/*.parquet (every other document, with its reason) and "
            "OUT/manifest.json. Runs in Prefect's ephemeral mode, or against PREFECT_API_URL "
            "when it is set."
        ),
    )
    run.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help=".txt (one document, id = file stem), .jsonl (objects with id and text) or "
        ".html/.htm files, or folders holding them",
    )
    run.add_argument(
        "--out",
        default="data/clean",
        metavar="DIR",
        help="output folder, replaced when the run succeeds (default: data/clean)",
    )
    run.add_argument("--config", metavar="FILE", help="TOML file merged over the default rules")
    run.add_argument(
        "--shard-size",
        type=int,
        metavar="N",
        help="documents per shard (default from config: 10000)",
    )
    run.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes for cleaning and signatures (default: all cores)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run(args)
    return 2


def run(args: argparse.Namespace) -> int:
    from cleaners.config import Config
    from flows.io import InputError, find_input_files
    from flows.output import OutputError, check_output_dir

    try:
        overrides: dict[str, Any] = {}
        if args.shard_size:
            overrides["run"] = {"shard_size": args.shard_size}
        config = Config.load(args.config, **overrides)
        find_input_files(args.inputs)  # every named path exists and is readable, before any work
        check_output_dir(Path(args.out))
    except (InputError, OutputError, ValueError, OSError) as exc:
        print(f"clean-corpus: error: {exc}", file=sys.stderr)
        return 2

    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if os.environ.get("PREFECT_API_URL"):
        print(f"Sending this run to the Prefect server at {os.environ['PREFECT_API_URL']}")
    from flows.clean_corpus import clean_corpus

    summary = clean_corpus(
        inputs=[str(i) for i in args.inputs],
        out=args.out,
        config=config.model_dump(mode="json"),
        workers_count=args.workers,
    )
    print_summary(summary)
    return 0


def print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    counts = summary["counts"]
    table = Table(title="clean-corpus", show_header=False, title_justify="left")
    table.add_row("documents in", str(counts["in"]))
    table.add_row("kept", str(counts["kept"]))
    for reason, n in counts["rejected_by_reason"].items():
        table.add_row(f"rejected: {reason}", str(n))
    if summary.get("skipped_files"):
        table.add_row("files skipped (not a supported type)", str(len(summary["skipped_files"])))
    table.add_row("seconds", f"{summary['seconds']['total']:.1f}")
    console = Console()
    console.print(table)
    console.print(f"Output: {summary['output']}", soft_wrap=True, highlight=False)


if __name__ == "__main__":
    sys.exit(main())
