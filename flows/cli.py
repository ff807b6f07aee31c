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
    explain = commands.add_parser(
        "explain",
        help="show what the cleaners removed from one document, grouped by rule",
        description="Read OUT/corpus and OUT/rejected and print DOC_ID's removed lines and "
        "replacements, grouped by the rule that made them.",
    )
    explain.add_argument("doc_id", metavar="DOC_ID", help="the document's doc_id in the output")
    explain.add_argument(
        "--out", default="data/clean", metavar="DIR", help="a clean-corpus output folder"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run(args)
    if args.command == "explain":
        return explain(args.doc_id, Path(args.out))
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
        inputs=[str(i) for i in args.inputs], out=args.out, config=config.model_dump(mode="json")
    )
    print_summary(summary)
    return 0


def explain(doc_id: str, out: Path) -> int:
    """Print one document's changes grouped by rule, and where the document ended up."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    columns = ["doc_id", "title", "reason", "duplicate_of", "changes"]
    row = None
    for folder in ("corpus", "rejected"):
        if not (out / folder).is_dir():
            print(f"clean-corpus: error: {out}: not a clean-corpus output", file=sys.stderr)
            return 2
        table = ds.dataset(out / folder, format="parquet").to_table(
            columns=columns, filter=pc.field("doc_id") == doc_id
        )
        if table.num_rows:
            row = table.to_pylist()[0]
            break
    if row is None:
        print(f"clean-corpus: error: no document {doc_id!r} in {out}", file=sys.stderr)
        return 1
    where = f"rejected ({row['reason']})" if row["reason"] else "kept"
    if row["duplicate_of"]:
        where += f", duplicate of {row['duplicate_of']}"
    print(f"{doc_id}: {where}" + (f" | {row['title']}" if row["title"] else ""))
    groups: dict[str, list[dict[str, Any]]] = {}
    for change in row["changes"] or []:
        groups.setdefault(change["rule"], []).append(change)
    if not groups:
        print("no changes")
    for rule, changes in groups.items():
        print(f"\n{rule} ({len(changes)})")
        for change in changes:
            removed = change["removed"].replace("\n", "\\n")
            if change["replacement"] is None:
                print(f"  - {removed}")
            else:
                print(f"  ~ {removed} -> {change['replacement']}")
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
    table.add_row("seconds", f"{summary['seconds']['total']:.1f}")
    console = Console()
    console.print(table)
    console.print(f"Output: {summary['output']}", soft_wrap=True, highlight=False)


if __name__ == "__main__":
    sys.exit(main())
