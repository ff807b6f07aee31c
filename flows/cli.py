"""clean-corpus: the command line (run, serve, ui, explain, clusters)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple

from cleaners.config import Config, RunConfig

# Prefect reads its settings at import: quiet, offline, patient on a busy 2-core machine.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}
LOCAL_SERVER = "http://127.0.0.1:4200/api"  # where `clean-corpus ui` (make ui) listens


class UsageError(Exception):
    """A problem with what the user asked for, reported as one line and exit code 2."""


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
    _add_job_arguments(run)
    run.add_argument("--quiet", action="store_true", help="no progress and no summary")
    run.set_defaults(handler=run_command)

    serve = commands.add_parser(
        "serve",
        help="run the cleaning on a schedule (needs a Prefect server: see `ui`)",
        description=(
            "Serve the flow clean_corpus as a deployment with a schedule; its runs show in the "
            "Prefect UI. Uses PREFECT_API_URL, or the local server `clean-corpus ui` starts. "
            "Stop with Ctrl-C."
        ),
    )
    _add_job_arguments(serve)
    when = serve.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", metavar="EXPR", help='cron schedule, e.g. "0 3 * * *"')
    when.add_argument("--interval", type=int, metavar="SECONDS", help="run every SECONDS")
    serve.add_argument("--name", default="clean-corpus", help="deployment name")
    serve.set_defaults(handler=serve_command)

    ui = commands.add_parser(
        "ui",
        help="start a local Prefect server and UI (Ctrl-C stops it)",
        description="Start `prefect server start` on a loopback address, print its URL, and "
        "stop it cleanly on Ctrl-C. Its state lives in PREFECT_HOME.",
    )
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=4200)
    ui.set_defaults(handler=ui_command)

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
    explain.set_defaults(handler=lambda args: explain_document(args.doc_id, Path(args.out)))

    clusters = commands.add_parser(
        "clusters",
        help="list the largest duplicate clusters, or show one cluster's members",
        description="Without CLUSTER_ID: the largest clusters of OUT (id, size, the "
        "representative's first words). With it: that cluster's members side by side "
        "(doc_id, role, similarity to the representative, length, first words).",
    )
    clusters.add_argument("cluster_id", nargs="?", metavar="CLUSTER_ID")
    clusters.add_argument(
        "--out", default="data/clean", metavar="DIR", help="a clean-corpus output folder"
    )
    clusters.add_argument("--top", type=int, default=20, metavar="N", help="clusters listed")
    clusters.set_defaults(handler=show_clusters)
    return parser


def _add_job_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help=".txt (one document, id = file stem), .jsonl (objects with id and text), "
        ".html/.htm, or .parquet (a text column, optional id) files, or folders holding them",
    )
    parser.add_argument(
        "--out",
        default="data/clean",
        metavar="DIR",
        help="output folder, replaced when the run succeeds (default: data/clean)",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML file merged over the default rules")
    parser.add_argument(
        "--shard-size",
        type=int,
        metavar="N",
        help=f"documents per shard (default: {RunConfig().shard_size})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes for cleaning and signatures (default: all cores)",
    )
    parser.add_argument(
        "--dask-address",
        metavar="ADDR",
        help="run the tasks on this Dask cluster (e.g. tcp://scheduler:8786) instead",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"clean-corpus: error: {exc}", file=sys.stderr)
        return 2


class Job(NamedTuple):
    """What `_job` found: the flow's parameters, the config they hold, and the bytes of the
    input files."""

    parameters: dict[str, Any]
    config: Config
    input_bytes: int


def _job(args: argparse.Namespace) -> Job:
    """Check what a run needs before any work."""
    from flows.dedup_index import check_index
    from flows.io import InputError, find_input_files
    from flows.output import OutputError, check_output_dir

    try:
        overrides: dict[str, Any] = {}
        if args.shard_size:
            overrides["run"] = {"shard_size": args.shard_size}
        config = Config.load(args.config, **overrides)
        files = find_input_files(args.inputs)  # every named path exists and is readable
        input_bytes = sum(path.stat().st_size for path in files)
        check_output_dir(Path(args.out))
        check_index(Path(args.out), config.dedup)
    except (InputError, OutputError, ValueError, OSError) as exc:
        raise UsageError(str(exc)) from exc
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    parameters = {
        "inputs": [str(Path(i).resolve()) for i in args.inputs],
        "out": str(Path(args.out).resolve()),
        "config": config.model_dump(mode="json"),
        "workers_count": 1 if args.dask_address else args.workers,
    }
    return Job(parameters, config, input_bytes)


def _flow(dask_address: str | None):
    from flows.clean_corpus import clean_corpus

    if not dask_address:
        return clean_corpus
    from prefect_dask import DaskTaskRunner

    return clean_corpus.with_options(task_runner=DaskTaskRunner(address=dask_address))


def run_command(args: argparse.Namespace) -> int:
    from flows import workers
    from flows.progress import reporting

    parameters, config, input_bytes = _job(args)
    if os.environ.get("PREFECT_API_URL") and not args.quiet:
        print(f"Sending this run to the Prefect server at {os.environ['PREFECT_API_URL']}")
    early = _early_workers(args, input_bytes, config.run.shard_mb << 20)
    with (
        workers.started_early(early, workers.stages.warm_up, config),
        reporting(quiet=args.quiet),
    ):
        summary = _flow(args.dask_address)(**parameters)
    if not args.quiet:
        print_summary(summary)
    return 0


def _early_workers(args: argparse.Namespace, input_bytes: int, shard_bytes: int) -> int:
    """The worker processes to start before Prefect's own start-up: as many as the run will
    have, when its inputs hold more than a shard's bytes. A smaller run mostly cleans one
    shard, inline, and processes started for it would only compete with Prefect's start-up
    for the cores. None on Dask, whose workers are its own."""
    from flows.workers import default_workers

    if args.dask_address or input_bytes <= shard_bytes:
        return 0
    return args.workers or default_workers()


def serve_command(args: argparse.Namespace) -> int:
    parameters = _job(args).parameters
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        if not server_is_up(LOCAL_SERVER):
            raise UsageError(
                "serving needs a Prefect server: start one with `make ui` (or "
                "`clean-corpus ui`), or set PREFECT_API_URL"
            )
        api = os.environ["PREFECT_API_URL"] = LOCAL_SERVER
    print(f"Serving clean_corpus/{args.name} on {api} (Ctrl-C stops it)")
    _flow(args.dask_address).serve(
        name=args.name, interval=args.interval, cron=args.cron, parameters=parameters
    )
    return 0


def ui_command(args: argparse.Namespace) -> int:
    import shutil
    import subprocess

    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    url = f"http://{args.host}:{args.port}"
    if server_is_up(f"{url}/api"):
        print(f"A Prefect server is already running at {url}")
        return 0
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    command = [prefect, "server", "start", "--host", args.host, "--port", str(args.port)]
    # the server's own log goes to a file: a pipe nobody reads would stall it once full
    log_path = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")) / "server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    # Ctrl-C and a service manager's SIGTERM both stop the server. A job a script started in the
    # background inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
    previous = {sig: signal.signal(sig, stop_on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        deadline = time.monotonic() + 90
        while not server_is_up(f"{url}/api"):
            if server.poll() is not None or time.monotonic() > deadline:
                error = log_path.read_text(errors="replace")[-2000:]
                raise UsageError(f"the Prefect server did not start (log: {log_path}):\n{error}")
            time.sleep(0.5)
        print(f"Prefect UI: {url}")
        print(f"Runs go there with: export PREFECT_API_URL={url}/api")
        print("Ctrl-C stops the server.", flush=True)
        server.wait()
    except KeyboardInterrupt:
        print("Stopping the Prefect server ...")
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def stop_on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def explain_document(doc_id: str, out: Path) -> int:
    """Print one document's changes grouped by rule, and where the document ended up."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    columns = ["doc_id", "title", "reason", "duplicate_of", "changes"]
    row = None
    for folder in ("corpus", "rejected"):
        if not (out / folder).is_dir():
            raise UsageError(f"{out}: not a clean-corpus output")
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


def show_clusters(args: argparse.Namespace) -> int:
    """Print the largest clusters, or one cluster's members, as a table."""
    from rich.console import Console
    from rich.table import Table

    from flows.clusters_view import NoOutput, largest, members

    out = Path(args.out)
    try:
        if args.cluster_id is None:
            table = Table(title=f"largest duplicate clusters in {out}", title_justify="left")
            for column in ("cluster_id", "size", "representative"):
                table.add_column(column, overflow="fold")
            for c in largest(out, args.top):
                table.add_row(c["cluster_id"], str(c["size"]), c["representative"])
        else:
            found = members(out, args.cluster_id)
            if not found:
                print(
                    f"clean-corpus: error: no cluster {args.cluster_id!r} in {out}", file=sys.stderr
                )
                return 1
            table = Table(title=f"cluster {args.cluster_id}", title_justify="left")
            for column in ("doc_id", "role", "similarity", "length", "first words"):
                table.add_column(column, overflow="fold")
            for m in found:
                similarity = "" if m["similarity"] is None else f"{m['similarity']:.3f}"
                length = "" if m["length"] is None else str(m["length"])
                table.add_row(m["doc_id"], m["role"], similarity, length, m["first_words"])
    except NoOutput as exc:
        raise UsageError(str(exc)) from exc
    Console(width=160).print(table)
    return 0


def server_is_up(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    counts = summary["counts"]
    table = Table(title="clean-corpus", show_header=False, title_justify="left")
    table.add_row("documents in", f"{counts['in']:,}")
    table.add_row("kept", f"{counts['kept']:,}")
    for reason, n in counts["rejected_by_reason"].items():
        table.add_row(f"rejected: {reason}", f"{n:,}")
    if summary.get("skipped_files"):
        table.add_row("files skipped (not a supported type)", str(len(summary["skipped_files"])))
    table.add_row("seconds", f"{summary['seconds']['total']:.1f}")
    console = Console()
    console.print(table)
    console.print(f"Output: {summary['output']}", soft_wrap=True, highlight=False)


if __name__ == "__main__":
    sys.exit(main())
