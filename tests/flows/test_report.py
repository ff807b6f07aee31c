"""A shard's report counts rules with Arrow and reads only the changes of rules still short of
samples: its summary (order of rules and samples included) must be the plain loop's."""

import json
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.io import OUTPUT_SCHEMA, read_batches
from flows.report import _SAMPLE_CHARS, SAMPLES_PER_RULE, ShardReport

RULES = ["boilerplate.phrase", "chrome", "escapes.control", "layout.menu", "encoding"]
REMOVED = st.one_of(
    st.sampled_from(["", " ", "\n", "Home | News", "Subscribe now", "x" * 200]), st.text()
)
CHANGES = st.lists(
    st.fixed_dictionaries(
        {"rule": st.sampled_from(RULES), "removed": REMOVED, "replacement": st.none()}
    ),
    max_size=6,
)


def plain_rules_and_samples(batches: list[pa.Table]) -> tuple[dict, dict]:
    """ShardReport's rules and samples as first written: every change through Python."""
    rules: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    for out in batches:
        changes = pc.list_flatten(out["changes"])
        if len(changes):
            names = pc.struct_field(changes, "rule").to_pylist()
            removed = pc.struct_field(changes, "removed").to_pylist()
            rules.update(names)
            for rule, text in zip(names, removed, strict=True):
                have = samples.setdefault(rule, [])
                if len(have) < SAMPLES_PER_RULE and text.strip() and text not in have:
                    have.append(text[:_SAMPLE_CHARS])
    return dict(rules), samples


def _table(changes: list[list[dict]]) -> pa.Table:
    n = len(changes)
    ids = [f"d{i}" for i in range(n)]
    columns = {f.name: pa.nulls(n, f.type) for f in OUTPUT_SCHEMA}
    columns.update(
        doc_id=pa.array(ids),
        source=pa.array(ids),
        text=pa.array(["text"] * n),
        changes=pa.array(changes, OUTPUT_SCHEMA.field("changes").type),
    )
    return pa.table(columns, schema=OUTPUT_SCHEMA)


@settings(max_examples=150, deadline=None)
@given(st.lists(CHANGES, min_size=1, max_size=40), st.integers(1, 9))
def test_report_is_the_plain_loops(tmp_path_factory, changes, batch):
    path = tmp_path_factory.mktemp("report") / "out.parquet"
    pq.write_table(_table(changes), path, row_group_size=batch)
    batches = list(read_batches(path, batch))
    report = ShardReport()
    for out in batches:
        report.add(out, pc.is_null(out["reason"]))
    got = report.as_dict()
    assert json.dumps([got["rules"], got["samples"]]) == json.dumps(
        plain_rules_and_samples(batches)
    )  # order too: the report's tables list rules as they came
