"""Nothing lost: every input document ends in exactly one output row, whatever the input."""

import json
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.clean_corpus import clean_corpus

pytestmark = pytest.mark.usefixtures("prefect_harness")

PROSE = "The council met on Monday to discuss the new bridge over the river, officials said."
TEXTS = st.sampled_from(
    [
        PROSE,
        PROSE.upper(),
        PROSE + " Another sentence follows here.",
        "",
        "   \n\t",
        "Leave a Reply",
    ]
) | st.text(max_size=200)
JSONL_LINES = st.one_of(
    st.builds(
        lambda i, t: json.dumps({"id": i, "text": t}), st.sampled_from(["a", "b", "c"]), TEXTS
    ),
    st.builds(lambda t: json.dumps({"text": t, "url": "https://x.example/p"}), TEXTS),
    st.just('{"id": "broken", "text": '),  # truncated
    st.just('{"id": 5.5, "text": "float id"}'),
    st.just('{"id": "no-text"}'),
    st.just("[1, 2, 3]"),
    st.just(""),  # a blank line holds no document
    st.binary(max_size=40).map(lambda b: b.decode("latin-1").replace("\n", " ")),
)
FILES = st.lists(
    st.one_of(
        st.tuples(st.just(".txt"), TEXTS.map(str.encode)),
        st.tuples(st.just(".txt"), st.binary(max_size=300)),
        st.tuples(st.just(".txt"), st.just((PROSE * 3).encode("cp1252"))),
        st.tuples(
            st.just(".html"),
            st.sampled_from(
                [
                    f"<html><body><article><p>{PROSE}</p></article></body></html>",
                    "<html><body><div>",
                    "",
                    "<p>" + PROSE,
                ]
            ).map(str.encode),
        ),
        st.tuples(
            st.just(".jsonl"),
            st.lists(JSONL_LINES, max_size=6).map(
                lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
            ),
        ),
    ),
    min_size=1,
    max_size=6,
)


def expected_sources(folder: Path, files) -> list[str]:
    sources = []
    for i, (suffix, data) in enumerate(files):
        path = folder / "in" / f"f{i}{suffix}"
        if suffix == ".jsonl":
            lines = data.split(b"\n")
            sources += [f"{path}:{n}" for n, line in enumerate(lines, 1) if line.strip()]
        else:
            sources.append(str(path))
    return sources


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES)
def test_every_input_document_is_in_exactly_one_output_row(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        for i, (suffix, data) in enumerate(files):
            (folder / "in" / f"f{i}{suffix}").write_bytes(data)
        summary = clean_corpus(
            inputs=[str(folder / "in")], out=str(folder / "out"), workers_count=1
        )
        corpus = pq.read_table(folder / "out" / "corpus").to_pylist()
        rejected = pq.read_table(folder / "out" / "rejected").to_pylist()
        manifest = json.loads((folder / "out" / "manifest.json").read_text())

    sources = [row["source"] for row in corpus + rejected]
    assert sorted(sources) == sorted(expected_sources(folder, files))
    ids = [row["doc_id"] for row in corpus + rejected]
    assert len(ids) == len(set(ids))
    counts = manifest["counts"]
    assert counts["in"] == len(sources) == counts["kept"] + counts["rejected"]
    assert counts["kept"] == len(corpus)
    assert counts["rejected_by_reason"] == dict(Counter(row["reason"] for row in rejected))
    assert all(row["reason"] is None and row["text"].strip() for row in corpus)
    assert summary["counts"] == counts
