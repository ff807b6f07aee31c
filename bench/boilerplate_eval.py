"""Boilerplate removal measured on the trafilatura-eval development set (never run as a test).

Prints one table: keep-everything, our cleaners on the naive text, trafilatura alone on the
HTML, and ours on the HTML (trafilatura + our cleaners), scored with the set's own score.py
(whitespace-normalised substring search of the hand-labelled keep/drop snippets).

    .venv/bin/python bench/boilerplate_eval.py          # naive text through `clean-corpus run`
    .venv/bin/python bench/boilerplate_eval.py --fast   # in-process DocumentCleaner (tuning)
    .venv/bin/python bench/boilerplate_eval.py --fast --only naive --per-page errors.tsv

The data is read from ../shared/datasets/trafilatura-eval relative to the repository root and
is never copied into the repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "datasets" / "trafilatura-eval"
sys.path.insert(0, str(REPO))

from cleaners.config import Config  # noqa: E402
from cleaners.decoding import declared_charset, decode_bytes  # noqa: E402
from cleaners.document import Document  # noqa: E402
from cleaners.pipeline import DocumentCleaner  # noqa: E402


def load_scorer() -> ModuleType:
    """The set's own score.py, imported by path, so the metric is exactly the published one."""
    spec = importlib.util.spec_from_file_location("trafilatura_eval_score", EVAL / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def naive_through_cli(pages: list[dict], config: str | None) -> dict[str, str]:
    """Every page's naive_text as <id>.txt through `clean-corpus run`; texts of corpus/ and
    rejected/ (dedup may reject a page; its cleaned text is kept there)."""
    ids = [p["id"] for p in pages]
    if len({i.casefold() for i in ids}) != len(ids) or any("/" in i for i in ids):
        raise SystemExit("page ids collide as file names")
    with tempfile.TemporaryDirectory(prefix="boilerplate-eval-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for page in pages:
            (inputs / f"{page['id']}.txt").write_text(page["naive_text"], encoding="utf-8")
        out = Path(tmp) / "out"
        cmd = [str(REPO / ".venv" / "bin" / "clean-corpus"), "run", str(inputs), "--out", str(out)]
        if config:
            cmd += ["--config", config]
        env = {**os.environ, "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(REPO / ".prefect"))}
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        texts: dict[str, str] = {}
        for folder in ("corpus", "rejected"):
            table = pq.read_table(out / folder, columns=["doc_id", "text"])
            texts.update(zip(table["doc_id"].to_pylist(), table["text"].to_pylist(), strict=True))
    return texts


def naive_in_process(pages: list[dict], cleaner: DocumentCleaner) -> dict[str, str]:
    return {
        p["id"]: cleaner.run(Document(p["id"], f"{p['id']}.txt", p["naive_text"])).text
        for p in pages
    }


def html_documents(pages: list[dict]) -> list[Document]:
    """The raw bytes decoded as the .html reader does (flows.io), one Document per page."""
    docs = []
    for p in pages:
        text, _ = decode_bytes(p["html"], declared_charset(p["html"]))
        docs.append(Document(p["id"], f"{p['id']}.html", text or "", content_type="html"))
    return docs


def trafilatura_alone(docs: list[Document]) -> dict[str, str]:
    from cleaners.html import extract_html_plain  # trafilatura's own call, with its metadata

    return {d.doc_id: extract_html_plain(d.text).text for d in docs}


def ours_on_html(docs: list[Document], cleaner: DocumentCleaner) -> dict[str, str]:
    return {d.doc_id: cleaner.run(d).text for d in docs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="naive text in-process, not the CLI")
    parser.add_argument("--only", choices=["naive", "html"], help="run one route only")
    parser.add_argument("--config", help="TOML merged over the default rules")
    parser.add_argument("--per-page", metavar="TSV", help="write per-page counts of each method")
    parser.add_argument("--limit", type=int, help="first N pages only (quick looks)")
    args = parser.parse_args(argv)

    scorer = load_scorer()
    labels = scorer.load_set(str(EVAL / "dev.parquet"))
    columns = ["id", "naive_text"] + (["html"] if args.only != "naive" else [])
    pages = pq.read_table(EVAL / "dev.parquet", columns=columns).to_pylist()[: args.limit]
    labels = {p["id"]: labels[p["id"]] for p in pages}
    cleaner = DocumentCleaner(Config.load(args.config))

    results: dict[str, dict[str, str]] = {}
    seconds: dict[str, float] = {}

    def timed(name: str, fn, *a) -> None:
        started = time.perf_counter()
        results[name] = fn(*a)
        seconds[name] = time.perf_counter() - started

    if args.only != "html":
        timed("keep everything (naive_text)", lambda: {p["id"]: p["naive_text"] for p in pages})
        if args.fast:
            timed("ours on naive text (in-process)", naive_in_process, pages, cleaner)
        else:
            timed("ours on naive text (clean-corpus run)", naive_through_cli, pages, args.config)
    if args.only != "naive":
        docs = html_documents(pages)
        timed("trafilatura alone on HTML", trafilatura_alone, docs)
        timed("ours on HTML (trafilatura + cleaners)", ours_on_html, docs, cleaner)

    print(
        f"trafilatura-eval dev: {len(pages)} pages, {sum(len(k) for k, _ in labels.values())} "
        f"keep / {sum(len(d) for _, d in labels.values())} drop snippets"
    )
    header = (
        f"| {'method':<40} | {'P':>5} | {'R':>5} | {'F1':>5} | {'acc':>5} | {'TP':>4} | "
        f"{'FN':>4} | {'FP':>4} | {'TN':>4} | {'s':>5} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    per_page_rows: dict[str, list] = {}
    for name, texts in results.items():
        s, per_page = scorer.score(labels, texts)
        print(
            f"| {name:<40} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
            f"{s['accuracy']:.3f} | {s['tp']:>4} | {s['fn']:>4} | {s['fp']:>4} | {s['tn']:>4} | "
            f"{seconds[name]:>5.0f} |"
        )
        for page_id, _, kh, kn, dh, dn in per_page:
            per_page_rows.setdefault(page_id, []).extend([f"{kh}/{kn}", f"{dh}/{dn}"])
    if args.per_page:
        with open(args.per_page, "w", encoding="utf-8") as f:
            f.write("id\t" + "\t".join(f"{n} keep\t{n} drop" for n in results) + "\n")
            for page_id, row in per_page_rows.items():
                f.write(page_id + "\t" + "\t".join(row) + "\n")


if __name__ == "__main__":
    main()
