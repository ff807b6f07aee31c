"""Incremental dedup: the output folder's index makes a later run dedup against earlier ones.
The real flow under Prefect's test harness, real Parquet on disk."""

import json
import random

import pyarrow.parquet as pq
import pytest

from flows.clean_corpus import clean_corpus
from flows.cli import main
from flows.dedup_index import HEADER, IndexMismatch
from tests.synthetic import article

pytestmark = pytest.mark.usefixtures("prefect_harness")


def articles(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [article(rng) for _ in range(count)]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def read(folder):
    return pq.read_table(folder).to_pylist() if any(folder.glob("*.parquet")) else []


def snapshot(out):
    """Everything a run leaves that a later reader sees: rows of each table, the index."""
    return {name: read(out / name) for name in ("corpus", "rejected", "index")}


def edited(text: str) -> str:
    """A republished copy: one word changed, a sentence of its own added."""
    words = text.split(" ")
    words[3] = words[3].upper() + "s"
    return " ".join(words) + " This report first appeared elsewhere."


@pytest.fixture
def batches(tmp_path):
    a_texts, b_texts = articles(1, 6), articles(2, 3)
    a = write_jsonl(
        tmp_path / "a.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(a_texts)]
    )
    b_records = [
        {"id": "b-edit", "text": edited(a_texts[1])},  # near duplicate of a1
        {"id": "b-copy", "text": a_texts[4].upper()},  # exact duplicate of a4 (after normalising)
        *({"id": f"b{i}", "text": t} for i, t in enumerate(b_texts)),
        {"id": "b-longer", "text": edited(b_texts[0])},  # within batch B: b0's longer copy
    ]
    b = write_jsonl(tmp_path / "b.jsonl", b_records)
    return a, b


def test_a_later_batch_is_deduplicated_against_the_earlier_output(tmp_path, batches):
    a, b = batches
    out = tmp_path / "out"
    clean_corpus(inputs=[a], out=str(out), workers_count=1)
    assert sorted(r["doc_id"] for r in read(out / "index")) == [f"a{i}" for i in range(6)]

    clean_corpus(inputs=[b], out=str(out), workers_count=1)
    rejected = {r["doc_id"]: r for r in read(out / "rejected")}
    assert rejected["b-edit"]["duplicate_of"] == "a1"
    assert rejected["b-edit"]["reason"] == "near_duplicate"
    assert rejected["b-edit"]["cluster_id"] == "a1"
    assert rejected["b-edit"]["cluster_size"] == 2  # a1 counts, though it is not in this output
    assert rejected["b-copy"]["duplicate_of"] == "a4"
    assert rejected["b-copy"]["reason"] == "exact_duplicate"
    assert rejected["b0"]["duplicate_of"] == "b-longer"  # the longest text is kept
    assert sorted(r["doc_id"] for r in read(out / "corpus")) == ["b-longer", "b1", "b2"]
    index = read(out / "index")
    assert [r["doc_id"] for r in index] == [*(f"a{i}" for i in range(6)), "b1", "b2", "b-longer"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["dedup_index"] == {"earlier": 6, "added": 3, "documents": 9}

    before = snapshot(out)
    clean_corpus(inputs=[b], out=str(out), workers_count=2)  # the same batch again
    assert snapshot(out) == before


def test_rerunning_the_same_inputs_changes_nothing(tmp_path, batches):
    a, b = batches
    out = tmp_path / "out"
    clean_corpus(inputs=[a, b], out=str(out), workers_count=1)
    first = snapshot(out)
    assert len(first["index"]) == len(first["corpus"]) == 9
    clean_corpus(inputs=[a, b], out=str(out), workers_count=1)
    assert snapshot(out) == first


def test_the_index_header_holds_the_settings(tmp_path, batches):
    a, _ = batches
    out = tmp_path / "out"
    clean_corpus(inputs=[a], out=str(out), config={"dedup": {"threshold": 0.8}})
    [part] = (out / "index").glob("*.parquet")
    header = json.loads(pq.read_schema(part).metadata[HEADER])
    assert header["threshold"] == 0.8
    assert (header["scheme"], header["num_perm"], header["ngram"]) == ("affine32", 128, 5)
    assert (header["bands"], header["rows"]) != (14, 9)  # derived from the threshold


def test_changed_dedup_settings_are_refused_and_nothing_is_touched(tmp_path, batches, capsys):
    a, b = batches
    out = tmp_path / "out"
    clean_corpus(inputs=[a], out=str(out), workers_count=1)
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(IndexMismatch, match=r"ngram: 5 in the index, 4 now"):
        clean_corpus(inputs=[b], out=str(out), config={"dedup": {"ngram": 4}})
    config = tmp_path / "c.toml"
    config.write_text("[dedup]\nseed = 2\n")
    assert main(["run", b, "--out", str(out), "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "seed: 1 in the index, 2 now" in err and "refusing to mix indexes" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    assert not list(tmp_path.glob(".out.work-*"))
