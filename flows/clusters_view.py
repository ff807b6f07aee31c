"""`clean-corpus clusters`: the largest duplicate clusters of an output, or one cluster's
members side by side, read from OUT/corpus, OUT/rejected and (for representatives kept by
an earlier run) OUT/index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from flows.dedup_index import INDEX, index_parts

COLUMNS = ["doc_id", "cluster_id", "cluster_size", "duplicate_of", "similarity", "reason", "text"]
FIRST_WORDS = 14


class NoOutput(LookupError):
    """The folder is not a clean-corpus output."""


def _rows(out: Path, condition: pc.Expression) -> pa.Table:
    tables = []
    for folder in ("corpus", "rejected"):
        if not (out / folder).is_dir():
            raise NoOutput(f"{out}: not a clean-corpus output")
        tables.append(
            ds.dataset(out / folder, format="parquet").to_table(columns=COLUMNS, filter=condition)
        )
    return pa.concat_tables(tables)


def first_words(text: str, count: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")


def largest(out: Path, top: int) -> list[dict[str, Any]]:
    """The `top` largest clusters: cluster_id, size, and the representative's first words."""
    table = _rows(out, pc.field("cluster_size") >= 2)
    sizes = table.group_by("cluster_id").aggregate([("cluster_size", "max")])
    ranked = sorted(
        zip(sizes["cluster_id"].to_pylist(), sizes["cluster_size_max"].to_pylist(), strict=True),
        key=lambda item: (-item[1], item[0]),
    )[:top]
    texts = dict(
        zip(table["doc_id"].to_pylist(), table["text"].to_pylist(), strict=True)
    )  # representatives in this output
    return [
        {
            "cluster_id": cluster_id,
            "size": size,
            "representative": first_words(texts[cluster_id])
            if cluster_id in texts
            else "(kept by an earlier run)",
        }
        for cluster_id, size in ranked
    ]


def members(out: Path, cluster_id: str) -> list[dict[str, Any]]:
    """A cluster's members, representative first, then by similarity (highest first)."""
    rows = _rows(out, pc.field("cluster_id") == cluster_id).to_pylist()
    found = [
        {
            "doc_id": r["doc_id"],
            "role": "representative" if r["duplicate_of"] is None else r["reason"],
            "similarity": r["similarity"],
            "length": len(r["text"]),
            "first_words": first_words(r["text"]),
        }
        for r in rows
    ]
    if found and not any(m["doc_id"] == cluster_id for m in found):
        found.append(_earlier(out, cluster_id))
    return sorted(found, key=lambda m: (m["role"] != "representative", -(m["similarity"] or 0)))


def _earlier(out: Path, doc_id: str) -> dict[str, Any]:
    parts = [str(p) for p in index_parts(out / INDEX)]
    table = ds.dataset(parts, format="parquet").to_table(
        columns=["doc_id", "source", "length"], filter=pc.field("doc_id") == doc_id
    )
    row = table.to_pylist()[0] if table.num_rows else {"source": "?", "length": None}
    return {
        "doc_id": doc_id,
        "role": "representative (earlier run)",
        "similarity": None,
        "length": row["length"],
        "first_words": f"(not in this output; from {row['source']})",
    }
