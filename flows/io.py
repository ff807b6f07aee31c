"""Reading inputs into Documents, and the Parquet files every stage writes: the one output
schema, written once, and the readers that turn .txt/.jsonl/.html into shards."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.decoding import declared_charset, decode_bytes, without_lone_surrogates
from cleaners.document import Change, Document
from flows.parquet_input import check_parquet_input, read_parquet_rows, row_group_ranges

TEXT_SUFFIXES = {".txt"}
JSONL_SUFFIXES = {".jsonl"}
HTML_SUFFIXES = {".html", ".htm"}
PARQUET_SUFFIXES = {".parquet"}
INPUT_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | PARQUET_SUFFIXES
UNREADABLE, MALFORMED = "unreadable", "malformed"

CHANGE_TYPE = pa.struct(
    [
        pa.field("rule", pa.string(), nullable=False),
        pa.field("removed", pa.string(), nullable=False),
        pa.field("replacement", pa.string()),
    ]
)
CHANGES_TYPE = pa.list_(pa.field("item", CHANGE_TYPE, nullable=False))

# The output contract: corpus/ and rejected/ share it; notebooks and later runs read it.
OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("changes", CHANGES_TYPE),
        pa.field("cluster_id", pa.string()),
        pa.field("cluster_size", pa.int32()),
        pa.field("duplicate_of", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("reason", pa.string()),
        pa.field("site", pa.string()),
        pa.field("metadata", pa.string()),  # JSON object: the input's other fields
    ]
)
DEDUP_COLUMNS = {"cluster_id", "cluster_size", "duplicate_of", "similarity"}
# What a clean task leaves for the dedup and write tasks: the output without dedup columns.
CLEANED_SCHEMA = pa.schema(
    [
        f
        for f in OUTPUT_SCHEMA
        if f.name not in {"cluster_id", "cluster_size", "duplicate_of", "similarity"}
    ]
)
# What the dedup task decides, row for row with a cleaned shard.
DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string()),
        pa.field("cluster_size", pa.int32()),
        pa.field("duplicate_of", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("reason", pa.string()),
    ]
)


def fingerprint_schema(num_perm: int, bands: int) -> pa.Schema:
    """What a fingerprints task leaves for the cluster task, row for row with a cleaned shard
    (key, length, signature and band keys are null for rows rejected before dedup). The dedup
    index (flows/dedup_index.py) keeps the same columns for the documents a run kept."""
    return pa.schema(
        [
            pa.field("doc_id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("key", pa.binary(16)),
            pa.field("length", pa.int64()),
            pa.field("signature", pa.list_(pa.uint32(), num_perm)),
            pa.field("bands", pa.list_(pa.uint64(), bands)),
        ]
    )


class InputError(ValueError):
    """An input the run cannot start with (missing path, unknown file type)."""


@dataclass(frozen=True)
class Shard:
    """A slice of the input small enough for one task: some files, a line range of a JSONL,
    or whole row groups of a Parquet file."""

    index: int
    kind: Literal["files", "jsonl", "parquet"]
    paths: tuple[str, ...]
    start: int = 0  # jsonl: byte offset of the first line; parquet: first row group
    end: int = 0  # jsonl: byte offset just past the last line; parquet: row group past the last
    first_line: int = 1  # parquet: index of the first row (from 0)
    lines: int = 0  # jsonl: lines in the range; parquet: rows

    @property
    def name(self) -> str:
        return f"{self.index:05d}"

    @property
    def size(self) -> int:
        """Documents in the shard, at most (blank JSONL lines hold none): for progress."""
        return len(self.paths) if self.kind == "files" else self.lines


class InputScan(NamedTuple):
    files: list[Path]  # supported files, in input order (folders sorted)
    skipped: list[Path]  # files inside named folders that are not of a supported type


def scan_inputs(inputs: Iterable[str | Path]) -> InputScan:
    """Files named, and supported files under folders named; errors before any work."""
    files: list[Path] = []
    skipped: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            files.extend(p for p in found if p.suffix.lower() in INPUT_SUFFIXES)
            skipped.extend(p for p in found if p.suffix.lower() not in INPUT_SUFFIXES)
        elif path.is_file():
            if path.suffix.lower() not in INPUT_SUFFIXES:
                raise InputError(
                    f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                    f"expected one of {', '.join(sorted(INPUT_SUFFIXES))}"
                )
            files.append(path)
        elif path.exists():
            raise InputError(f"{path}: not a regular file or folder")
        else:
            raise InputError(f"{path}: no such file or folder")
    for path in files:
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
        if path.suffix.lower() in PARQUET_SUFFIXES:
            try:
                check_parquet_input(path)
            except ValueError as exc:
                raise InputError(f"{path}: {exc}") from exc
    return InputScan(files, skipped)


def find_input_files(inputs: Iterable[str | Path]) -> list[Path]:
    return scan_inputs(inputs).files


def plan_shards(
    files: list[Path], shard_size: int, shard_bytes: int = 32 << 20, workers: int = 1
) -> list[Shard]:
    """Cut the inputs into shards of at most `shard_size` documents, in input order. A shard
    of .txt/.html files also ends once it holds `shard_bytes` (an HTML page costs ten times a
    line of JSONL: a folder of pages should still keep every worker busy).

    The JSONL lines, and the files, are cut into a multiple of `workers` shards of even size
    (unless they fit in one): 9 shards on 2 workers leave one idle while the ninth runs.
    Parquet keeps its row groups."""
    pages = [p for p in files if p.suffix.lower() not in JSONL_SUFFIXES | PARQUET_SUFFIXES]
    sizes = {p: p.stat().st_size for p in pages}
    total_bytes = sum(sizes.values())
    page_shards = max(
        _shard_count(total_bytes, shard_bytes, workers),
        _shard_count(len(pages), shard_size, workers),
    )
    lines = sum(_count_lines(p) for p in files if p.suffix.lower() in JSONL_SUFFIXES)
    lines_per_range = max(-(-lines // _shard_count(lines, shard_size, workers)), 1)

    shards: list[Shard] = []
    pending: list[str] = []
    page_bytes = page_files = 0  # of the files so far
    cuts = 0  # shards of files so far

    def flush_files() -> None:
        if pending:
            shards.append(Shard(len(shards), "files", tuple(pending)))
            pending.clear()

    for path in files:
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES or suffix in PARQUET_SUFFIXES:
            flush_files()
            kind, ranges = (
                ("jsonl", _line_ranges(path, lines_per_range))
                if suffix in JSONL_SUFFIXES
                else ("parquet", row_group_ranges(path, shard_size))
            )
            for start, end, first, count in ranges:
                shards.append(Shard(len(shards), kind, (str(path),), start, end, first, count))
        else:
            pending.append(str(path))
            page_bytes += sizes[path]
            page_files += 1
            # the k-th shard of files ends where their bytes, or their number, pass k/n of the
            # total (whichever budget is tighter)
            done = max(page_bytes / max(total_bytes, 1), page_files / len(pages))
            if len(pending) >= shard_size or done * page_shards >= cuts + 1 - 1e-9:
                flush_files()
                cuts += 1
    flush_files()
    return shards


def _shard_count(total: int, budget: int, workers: int) -> int:
    """Shards of at most `budget` for `total`, rounded up to a multiple of `workers`; an input
    that fits one shard stays one (a worker process costs seconds to start: not worth it for
    a few documents)."""
    shards = -(-total // budget)  # ceiling division
    if shards <= 1:
        return 1
    workers = max(workers, 1)
    return -(-shards // workers) * workers


def _count_lines(path: Path) -> int:
    """Lines as _line_ranges counts them (a last line without "\n" too)."""
    lines, last = 0, b"\n"
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def _line_ranges(path: Path, lines_per_range: int) -> Iterator[tuple[int, int, int, int]]:
    start = offset = 0
    first_line = line_no = 1
    count = 0
    with path.open("rb") as f:
        for line in f:
            offset += len(line)
            count += 1
            line_no += 1
            if count == lines_per_range:
                yield start, offset, first_line, count
                start, first_line, count = offset, line_no, 0
    if count:
        yield start, offset, first_line, count


def read_shard(shard: Shard) -> Iterator[Document]:
    if shard.kind == "jsonl":
        yield from _read_jsonl(Path(shard.paths[0]), shard.start, shard.end, shard.first_line)
        return
    if shard.kind == "parquet":
        rows = read_parquet_rows(Path(shard.paths[0]), shard.start, shard.end, shard.first_line)
        for source, record in rows:
            yield record_document(source, record)
        return
    for name in shard.paths:
        path = Path(name)
        yield _read_file(path, "html" if path.suffix.lower() in HTML_SUFFIXES else "text")


def _read_file(path: Path, content_type: str) -> Document:
    doc = Document(doc_id=path.stem, source=str(path), text="", content_type=content_type)
    try:
        data = path.read_bytes()
    except OSError as exc:
        doc.reason = UNREADABLE
        doc.changes.append(Change("input.unreadable", f"{exc.strerror or exc}"))
        return doc
    declared = declared_charset(data) if content_type == "html" else None
    text, encoding = decode_bytes(data, declared)
    if text is None:
        doc.reason = UNREADABLE
        doc.changes.append(Change("input.binary", f"{len(data)} bytes that are not text"))
        return doc
    if encoding not in ("utf-8", "ascii"):
        doc.changes.append(Change("input.decoding", "utf-8", encoding))
    doc.text = text
    return doc


def _read_jsonl(path: Path, start: int, end: int, first_line: int) -> Iterator[Document]:
    """The records of one line range, read a line at a time (lines end at "\n" only, as
    plan_shards counted them)."""
    with path.open("rb") as f:
        f.seek(start)
        line_no = first_line
        while f.tell() < end:
            raw = f.readline()
            if raw.strip():  # blank lines between records hold no document
                yield _jsonl_document(path, line_no, raw.rstrip(b"\r\n"))
            line_no += 1


def _jsonl_document(path: Path, line_no: int, raw: bytes) -> Document:
    source = f"{path}:{line_no}"
    text, encoding = decode_bytes(raw)
    if text is None:
        return _malformed(source, "", f"{len(raw)} bytes that are not text", "input.binary")
    record, problem = _json_object(text)
    if record is None:
        return _malformed(source, text, problem)
    doc = record_document(source, record, raw=text)
    if doc.reason is None and encoding not in ("utf-8", "ascii"):
        doc.changes.append(Change("input.decoding", "utf-8", encoding))
    return doc


def _json_object(text: str) -> tuple[dict[str, Any] | None, str]:
    """The JSON object a line holds, or None and what is wrong with the line."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(record, dict):
        return None, f"a JSON {type(record).__name__}, not an object"
    return record, ""


def record_document(source: str, record: dict[str, Any], raw: str | None = None) -> Document:
    """A Document from one JSONL object or Parquet row: `id`, `text`, `title`; the other
    fields are metadata. A record without a string `text`, or with an id that is neither a
    string nor an integer, is malformed (kept as `raw`, or as its JSON)."""
    problem = _record_problem(record)
    if problem:
        return _malformed(source, raw or json.dumps(record, ensure_ascii=False), problem)
    record = dict(record)
    doc_id = record.pop("id", None)
    body = record.pop("text")
    title = record.pop("title", None)
    return Document(
        doc_id=without_lone_surrogates(str(doc_id)) if doc_id is not None else _fallback_id(source),
        source=source,
        text=without_lone_surrogates(body),
        title=without_lone_surrogates(title) if isinstance(title, str) else None,
        site=_site_of(record),
        metadata=record,
    )


def _record_problem(record: dict[str, Any]) -> str | None:
    if not isinstance(record.get("text"), str):
        return "no string field 'text'"
    doc_id = record.get("id")
    if doc_id is not None and (isinstance(doc_id, bool) or not isinstance(doc_id, str | int)):
        return f"field 'id' is a {type(doc_id).__name__}, not a string"
    return None


def _malformed(source: str, text: str, problem: str, rule: str = "input.malformed") -> Document:
    return Document(
        _fallback_id(source), source, text, reason=MALFORMED, changes=[Change(rule, problem)]
    )


def _fallback_id(source: str) -> str:
    """`<stem>:<line or row>` for a record without an id."""
    path, _, where = source.rpartition(":")
    return f"{Path(path).stem}:{where}"


def _site_of(record: dict[str, Any]) -> str | None:
    site = record.get("site")
    if isinstance(site, str) and site:
        return site
    url = record.get("url")
    if isinstance(url, str) and url:
        return urlsplit(url).hostname
    return None


def documents_to_table(docs: Iterable[Document]) -> pa.Table:
    docs = list(docs)
    columns: dict[str, list[Any]] = {
        "doc_id": [d.doc_id for d in docs],
        "source": [d.source for d in docs],
        "title": [d.title for d in docs],
        "text": [d.text for d in docs],
        "changes": changes_array([d.changes for d in docs]),
        "reason": [d.reason for d in docs],
        "site": [d.site for d in docs],
        "metadata": [
            without_lone_surrogates(json.dumps(d.metadata, ensure_ascii=False))
            if d.metadata
            else None
            for d in docs
        ],
    }
    return pa.table(columns, schema=CLEANED_SCHEMA)


def changes_array(changes: list[list[Change]]) -> pa.ListArray:
    """The `changes` column, from three flat string columns and the offsets of each row's
    list: what pa.array of each change as a dict gives (tests compare the two), for a third
    of its time (a shard of 5,000 generated pages, some 20 changes each: 75 -> 27 ms)."""
    flat = [change for row in changes for change in row]
    items = pa.StructArray.from_arrays(
        [pa.array([change[i] for change in flat], pa.string()) for i in range(3)],
        fields=list(CHANGE_TYPE),
    )
    offsets = pa.array([0, *accumulate(map(len, changes))], pa.int32())
    return pa.ListArray.from_arrays(offsets, items, type=CHANGES_TYPE)


class TableWriter:
    """A Parquet file written batch by batch (one row group each), so a shard never has to be
    in memory at once; like write_table, the file appears only when it is complete."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        self._writer = pq.ParquetWriter(self._partial, schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._writer.close()
        if exc_type is None:
            os.replace(self._partial, self.path)
        else:
            self._partial.unlink(missing_ok=True)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_table(table: pa.Table, path: Path, row_group_rows: int | None = None) -> None:
    """Written whole or not at all: a file that exists is complete (resume relies on it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    pq.write_table(table, partial, compression="zstd", row_group_size=row_group_rows)
    os.replace(partial, path)


def write_json(path: Path, data: Any) -> None:
    """Like write_table: the file exists only once it is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def read_batches(path: Path, rows: int, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """A Parquet file (or some of its columns) as tables of at most `rows` rows, in order."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=rows, columns=columns):
        yield pa.Table.from_batches([batch])


def read_table(
    path: Path, columns: list[str] | None = None, where: pc.Expression | None = None
) -> pa.Table:
    """A Parquet file, or its rows that match `where` (row groups whose statistics rule
    them out are not read)."""
    return pq.read_table(path, columns=columns, filters=where)


def count_rows(paths: Iterable[Path]) -> int:
    """Rows of Parquet files, from their footers."""
    return sum(pq.read_metadata(path).num_rows for path in paths)
