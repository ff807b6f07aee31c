"""The dedup index in an output folder: OUT/index/part-*.parquet, one row per document kept by
this or an earlier run into the same --out (doc_id, source, exact key, length, signature,
band keys: flows/io.py fingerprint_schema), with the dedup settings as a JSON header in each
file's key-value metadata. A run reads the previous output's index, dedups against it, and
writes the merged index into its staging folder, which is published with the rest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.config import DedupConfig
from cleaners.dedup.index import differences, index_settings
from cleaners.dedup.settings import bands_and_rows
from flows.io import fingerprint_schema, read_table, write_table

INDEX = "index"
HEADER = b"clean_corpus.dedup"


class IndexMismatch(ValueError):
    """The output's dedup index was made with other dedup settings than this run's."""


def index_schema(config: DedupConfig) -> pa.Schema:
    bands = bands_and_rows(config.threshold, config.num_perm)[0]
    header = json.dumps(index_settings(config), sort_keys=True)
    return fingerprint_schema(config.num_perm, bands).with_metadata({HEADER: header})


def index_parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def header(path: Path) -> dict[str, Any]:
    metadata = pq.read_schema(path).metadata or {}
    if HEADER not in metadata:
        raise IndexMismatch(f"{path}: not a clean-corpus dedup index (no settings header)")
    return json.loads(metadata[HEADER])


def check_index(out: Path, config: DedupConfig) -> None:
    """Refuse (before any work) an output whose index was made with other dedup settings."""
    parts = index_parts(out / INDEX)
    if not parts or not config.enabled:
        return
    found = differences(header(parts[0]), index_settings(config))
    if found:
        raise IndexMismatch(
            f"{out / INDEX} was made with other dedup settings ({'; '.join(found)}): refusing "
            "to mix indexes; run with the same [dedup] settings, or into another --out"
        )


class IndexPart(NamedTuple):
    """One file of the previous index, and which of its rows still stand."""

    path: Path
    standing: pa.Array  # bool, row for row


def read_index(folder: Path, superseded: pa.ChunkedArray) -> list[IndexPart]:
    """The index's files, each with its rows minus the documents this run has again (a
    doc_id that is in this run's input is that document, decided afresh, not a duplicate of
    it). Only the ids are read here."""
    gone_ids = pc.unique(superseded)
    parts = []
    for path in index_parts(folder):
        ids = read_table(path, columns=["doc_id"])["doc_id"]
        parts.append(IndexPart(path, pc.invert(pc.is_in(ids, gone_ids)).combine_chunks()))
    return parts


def write_index(
    folder: Path,
    config: DedupConfig,
    prior: list[IndexPart],
    shards: list[tuple[str, pa.ChunkedArray, np.ndarray]],
) -> dict[str, int]:
    """The merged index: the earlier rows still standing, then this run's kept documents
    (shard by shard: fingerprints path, final doc ids, kept mask). Returns counts."""
    shutil.rmtree(folder, ignore_errors=True)
    schema = index_schema(config)
    parts = 0

    def part(table: pa.Table) -> None:
        nonlocal parts
        if table.num_rows:
            write_table(table.cast(schema), folder / f"part-{parts:05d}.parquet")
            parts += 1

    earlier = 0
    for path, standing in prior:
        rows = read_table(path).filter(standing)
        earlier += rows.num_rows
        part(rows)
    added = 0
    for path, ids, kept in shards:
        table = read_table(Path(path)).set_column(0, "doc_id", ids)
        rows = table.filter(pa.array(kept, pa.bool_()))
        added += rows.num_rows
        part(rows)
    return {"earlier": earlier, "added": added, "documents": earlier + added}


def copy_index(source: Path | None, folder: Path) -> dict[str, int]:
    """With the dedup off, the earlier index goes forward unchanged."""
    shutil.rmtree(folder, ignore_errors=True)
    rows = 0
    for path in index_parts(source) if source else []:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, folder / path.name)
        rows += pq.read_metadata(path).num_rows
    return {"earlier": rows, "added": 0, "documents": rows}
