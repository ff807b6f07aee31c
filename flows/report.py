"""What a run did, in a form a person reads: counts, removals per rule with sample lines, the
largest duplicate clusters. Built shard by shard, merged, shown as a Prefect artifact."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

SAMPLES_PER_RULE = 3
TOP_CLUSTERS = 5
_SAMPLE_CHARS = 120


class ShardReport:
    def __init__(self) -> None:
        self.kept = 0
        self.reasons: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.samples: dict[str, list[str]] = {}
        self.clusters: list[dict[str, Any]] = []

    def add(self, out: pa.Table, kept: pa.ChunkedArray) -> None:
        self.kept += pc.sum(kept.cast(pa.int64())).as_py() or 0
        self.reasons.update(r for r in out["reason"].to_pylist() if r is not None)
        changes = pc.list_flatten(out["changes"])
        if len(changes):
            rule_column = pc.struct_field(changes, "rule")
            counts = pc.value_counts(rule_column)  # in order of first appearance, as update()
            for rule, n in zip(
                counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
            ):
                self.rules[rule] += n
            # a rule with all its samples gets no more: only the others' changes go to Python
            full = [r for r, s in self.samples.items() if len(s) >= SAMPLES_PER_RULE]
            wanted = pc.invert(pc.is_in(rule_column, pa.array(full, pa.string())))
            rules = rule_column.filter(wanted).to_pylist()
            removed = pc.struct_field(changes, "removed").filter(wanted).to_pylist()
            for rule, text in zip(rules, removed, strict=True):
                samples = self.samples.setdefault(rule, [])
                if len(samples) < SAMPLES_PER_RULE and text.strip() and text not in samples:
                    samples.append(text[:_SAMPLE_CHARS])
        reps = out.filter(pc.and_(kept, pc.greater_equal(out["cluster_size"], 2)))
        for row in reps.select(["cluster_id", "cluster_size", "title", "text"]).to_pylist():
            self.clusters.append(
                {
                    "cluster_id": row["cluster_id"],
                    "size": row["cluster_size"],
                    "title": row["title"] or row["text"].split("\n", 1)[0][:_SAMPLE_CHARS],
                }
            )
        self.clusters = _largest(self.clusters)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kept": self.kept,
            "rejected_by_reason": dict(self.reasons),
            "rules": dict(self.rules),
            "samples": self.samples,
            "clusters": self.clusters,
        }


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    clusters: list[dict[str, Any]] = []
    for report in reports:
        reasons.update(report["rejected_by_reason"])
        rules.update(report["rules"])
        for rule, texts in report["samples"].items():
            have = samples.setdefault(rule, [])
            have.extend(t for t in texts if t not in have)
            del have[SAMPLES_PER_RULE:]
        clusters.extend(report["clusters"])
    kept = sum(r["kept"] for r in reports)
    return {
        "counts": {
            "in": kept + sum(reasons.values()),
            "kept": kept,
            "rejected": sum(reasons.values()),
            "rejected_by_reason": dict(sorted(reasons.items())),
        },
        "removals_by_rule": dict(rules.most_common()),
        "samples": {rule: samples[rule] for rule, _ in rules.most_common() if rule in samples},
        "largest_clusters": _largest(clusters),
    }


def markdown(summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    lines = [
        "# clean-corpus run",
        "",
        f"Output: `{summary['output']}`",
        "",
        "| documents | count |",
        "|---|---:|",
        f"| in | {counts['in']:,} |",
        f"| kept | {counts['kept']:,} |",
    ]
    lines += [f"| rejected: {r} | {n:,} |" for r, n in counts["rejected_by_reason"].items()]
    lines += ["", "## Removals by rule", "", "| rule | count | samples |", "|---|---:|---|"]
    for rule, n in summary["removals_by_rule"].items():
        samples = " · ".join(f"`{_cell(s)}`" for s in summary["samples"].get(rule, []))
        lines.append(f"| {rule} | {n:,} | {samples} |")
    lines += ["", "## Largest duplicate clusters", ""]
    if summary["largest_clusters"]:
        lines += ["| representative | size | title |", "|---|---:|---|"]
        lines += [
            f"| `{c['cluster_id']}` | {c['size']} | {_cell(c['title'])} |"
            for c in summary["largest_clusters"]
        ]
    else:
        lines.append("No duplicates found.")
    return "\n".join(lines) + "\n"


def _largest(clusters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(clusters, key=lambda c: (-c["size"], c["cluster_id"]))[:TOP_CLUSTERS]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")[:_SAMPLE_CHARS]
