"""Parquet files as input: a `text` column (and optionally `id`, `title`, `site`, `url`; every
other column is kept as metadata), read row group by row group so a shard is never more than
its own rows in memory."""

from __future__ import annotations

import base64
import datetime
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 1000


def check_parquet_input(path: Path) -> None:
    """Raise ValueError (said before any work) when the file is no Parquet or has no text."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise ValueError(f"not a readable Parquet file: {exc}") from exc
    if "text" not in schema.names:
        raise ValueError(f"no 'text' column (columns: {', '.join(schema.names) or 'none'})")
    kind = schema.field("text").type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise ValueError(f"column 'text' is {kind}, not a string")


def row_group_ranges(path: Path, rows_per_range: int) -> Iterator[tuple[int, int, int, int]]:
    """(first row group, row group past the last, first row, rows): whole row groups, as few
    as make at least `rows_per_range` rows (a row group is the unit Parquet reads)."""
    metadata = pq.read_metadata(path)
    start = first_row = rows = row = 0
    for group in range(metadata.num_row_groups):
        count = metadata.row_group(group).num_rows
        rows += count
        row += count
        if rows >= rows_per_range:
            yield start, group + 1, first_row, rows
            start, first_row, rows = group + 1, row, 0
    if rows or start < metadata.num_row_groups:
        yield start, metadata.num_row_groups, first_row, rows


def read_parquet_rows(
    path: Path, first_group: int, end_group: int, first_row: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(source `path:row`, the row as a dict of JSON-ready values) for each row of the row
    groups; rows are counted from 0, as pandas and polars count them."""
    parquet = pq.ParquetFile(path)
    row = first_row
    groups = list(range(first_group, end_group))
    if not groups:
        return
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=groups):
        for record in batch.to_pylist():
            yield f"{path}:{row}", {k: _json_ready(v) for k, v in record.items()}
            row += 1


def _json_ready(value: Any) -> Any:
    """Values metadata (a JSON object) can hold: dates and decimals as text, bytes as base64."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
