"""End to end: the real flow under Prefect's test harness, real Parquet files on disk."""

import json
import random
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import flows.clean_corpus as module
from cleaners.chrome import FREQUENCY_SCHEMA
from cleaners.config import Config
from flows.clean_corpus import _chrome_reduce, clean_corpus
from flows.io import OUTPUT_SCHEMA, write_table
from tests.conftest import SEEDS
from tests.synthetic import article

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))
ORIGINAL = "002_d5ddd111fd756a9a"


def edited_copy(text: str) -> str:
    """The seed republished elsewhere: a few words changed, other boilerplate around it."""
    body = text.split("\n\n", 2)[2].split("Leave a Reply")[0]
    body = (
        body.replace("significant move", "major step")
        .replace("Wednesday", "Thursday")
        .replace("optimism", "hope")
        .replace("critical moment", "decisive moment")
    )
    return "Share this:\nFacebook Twitter WhatsApp\n\n" + body + "\n© 2025 Other Herald\n"


def read(folder):
    return pq.read_table(folder).to_pylist() if any(folder.glob("*.parquet")) else []


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    inputs = tmp_path_factory.mktemp("inputs")
    shutil.copytree(SEEDS, inputs / "seeds")
    copy = inputs / "syndicated_copy.txt"
    copy.write_text(edited_copy((SEEDS / f"{ORIGINAL}.txt").read_text()), encoding="utf-8")
    out = tmp_path_factory.mktemp("run") / "clean"
    summary = clean_corpus(inputs=[str(inputs)], out=str(out))
    return out, summary


def test_outputs_follow_the_contract(output):
    out, _ = output
    for folder in ("corpus", "rejected"):
        for part in (out / folder).glob("*.parquet"):
            assert pq.read_schema(part).equals(OUTPUT_SCHEMA)
    assert not list(out.parent.glob(".clean.staging-*"))


def test_seeds_are_kept_and_the_edited_copy_is_a_duplicate(output):
    out, _ = output
    kept = {row["doc_id"]: row for row in read(out / "corpus")}
    rejected = {row["doc_id"]: row for row in read(out / "rejected")}
    assert set(kept) | set(rejected) == {*SEED_IDS, "syndicated_copy"}
    assert set(SEED_IDS) - {ORIGINAL} <= set(kept)
    pair = {ORIGINAL, "syndicated_copy"}
    [dup] = pair & set(rejected)
    [rep] = pair - {dup}
    assert rejected[dup]["duplicate_of"] == rep
    assert rejected[dup]["reason"] == "near_duplicate"
    assert rejected[dup]["cluster_id"] == kept[rep]["cluster_id"]
    assert kept[rep]["cluster_size"] == 2
    assert 0.7 <= rejected[dup]["similarity"] < 1
    assert "Facebook Twitter" not in rejected[dup]["text"]  # its cleaned text is kept too


def test_seed_boilerplate_is_gone_from_the_corpus(output):
    out, _ = output
    texts = "\n".join(row["text"] for row in read(out / "corpus"))
    for artifact in ["Leave a Reply", "Back To Top", "What's Your Reaction?", '\\"', "asmr asmr"]:
        assert artifact not in texts


def test_manifest_counts_add_up_and_every_input_is_in_one_table(output):
    out, summary = output
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    corpus, rejected = read(out / "corpus"), read(out / "rejected")
    assert counts["in"] == 6 == len(corpus) + len(rejected)
    assert counts["kept"] == len(corpus)
    assert sum(counts["rejected_by_reason"].values()) == len(rejected)
    sources = [row["source"] for row in corpus + rejected]
    assert len(sources) == len(set(sources)) == 6
    assert manifest["run_id"] and manifest["versions"]["prefect"].startswith("3.")
    assert manifest["config"]["dedup"]["threshold"] == 0.7
    assert summary["counts"] == counts


def test_manifest_says_where_the_cleaning_time_went(output):
    out, _ = output
    manifest = json.loads((out / "manifest.json").read_text())
    steps = manifest["clean_steps"]
    assert set(steps) == {"read", "encoding", "escapes", "boilerplate", "line counts", "write"}
    assert all(seconds > 0 for seconds in steps.values())
    # worker seconds, inside the clean stage's wall time on the run's workers
    assert sum(steps.values()) <= manifest["workers"] * manifest["seconds"]["clean"]


def test_rerun_replaces_the_previous_output(output, tmp_path):
    out = tmp_path / "clean"
    (tmp_path / "one.txt").write_text("A single short document about the harbour at dawn.")
    clean_corpus(inputs=[str(SEEDS)], out=str(out))
    clean_corpus(inputs=[str(tmp_path / "one.txt")], out=str(out))
    assert [row["doc_id"] for row in read(out / "corpus")] == ["one"]
    assert read(out / "rejected") == []
    assert pq.read_schema(next((out / "rejected").glob("*.parquet"))).equals(OUTPUT_SCHEMA)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("clean", "one.txt")]
    assert leftovers == [".clean.lock"]  # no staging or previous output left behind


def test_duplicate_ids_across_inputs_are_made_unique(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text("The first story is about a bridge over a river.")
    (tmp_path / "b" / "same.txt").write_text("The second story is about a school in a valley.")
    out = tmp_path / "out"
    clean_corpus(inputs=[str(tmp_path / "a"), str(tmp_path / "b")], out=str(out))
    rows = read(out / "corpus")
    assert [r["doc_id"] for r in rows] == ["same", f"same@{tmp_path / 'b' / 'same.txt'}"]
    assert rows[1]["changes"][-1]["rule"] == "input.duplicate_id"


def test_refuses_to_replace_a_folder_that_is_not_an_output(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="refusing to replace"):
        clean_corpus(inputs=[str(SEEDS)], out=str(tmp_path))
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_output_is_identical_with_one_two_and_four_workers(tmp_path):
    """Same inputs and config give the same rows, in the same order, whatever the workers."""
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    (inputs / "copy.txt").write_text(edited_copy((SEEDS / f"{ORIGINAL}.txt").read_text()))
    tables = []
    for n in (1, 2, 4):
        out = tmp_path / f"out{n}"
        clean_corpus(
            inputs=[str(inputs)], out=str(out), workers_count=n, config={"run": {"shard_size": 2}}
        )
        tables.append((read(out / "corpus"), read(out / "rejected")))
    assert tables[0] == tables[1] == tables[2]
    assert len(tables[0][0]) == 5


def test_a_second_run_into_the_same_output_is_refused_at_once(tmp_path):
    from flows.output import OutputError, output_lock

    out = tmp_path / "clean"
    with output_lock(out), pytest.raises(OutputError, match="another clean-corpus run is writing"):
        clean_corpus(inputs=[str(SEEDS)], out=str(out))
    clean_corpus(inputs=[str(SEEDS)], out=str(out))  # the lock is free again
    assert len(read(out / "corpus")) == 5


def test_site_chrome_is_removed_across_a_sites_pages(tmp_path):
    """A prose-like footer on every page of one site is chrome; the same kind of line on one
    page of another site, and the articles' own lines, stay."""
    rng = random.Random(7)
    footer = "The Daily Planet is published every morning by Planet Media Group in Springfield."
    own = "The Evening Star thanks its readers for their letters and their support this year."
    records = []
    for i in range(12):
        records.append(
            {"id": f"planet{i}", "site": "planet.example", "text": f"{article(rng)}\n{footer}"}
        )
    records.append({"id": "star0", "site": "star.example", "text": f"{article(rng)}\n{own}"})
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    out = tmp_path / "out"
    clean_corpus(inputs=[str(path)], out=str(out), workers_count=1)
    kept = {row["doc_id"]: row for row in read(out / "corpus")}
    assert len(kept) == 13
    for i in range(12):
        row = kept[f"planet{i}"]
        assert footer not in row["text"]
        assert {"rule": "chrome", "removed": footer, "replacement": None} in row["changes"]
        assert (
            row["text"]
            == next(r["text"] for r in records if r["id"] == f"planet{i}").rsplit("\n", 1)[0]
        )
    assert own in kept["star0"]["text"]


def test_seeds_as_a_parquet_file_are_cleaned_like_the_txt_files(output, tmp_path):
    out, _ = output
    by_txt = {row["doc_id"]: row["text"] for row in read(out / "corpus") + read(out / "rejected")}
    ids = SEED_IDS
    texts = [(SEEDS / f"{i}.txt").read_text(encoding="utf-8") for i in ids]
    pq.write_table(pa.table({"id": ids, "text": texts}), tmp_path / "seeds.parquet")
    clean_corpus(inputs=[str(tmp_path / "seeds.parquet")], out=str(tmp_path / "clean"))
    rows = read(tmp_path / "clean" / "corpus")
    assert {row["doc_id"]: row["text"] for row in rows} == {i: by_txt[i] for i in ids}
    assert sorted(row["source"] for row in rows) == [
        f"{tmp_path / 'seeds.parquet'}:{n}" for n in range(5)
    ]


def test_an_input_with_no_documents_gives_an_empty_output(tmp_path):
    """One empty .jsonl: no shard, so the corpus-wide reduces (site lines, chrome) get no
    tables; the run still ends with both folders holding their schema and zero rows."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    summary = clean_corpus([str(empty)], out=str(tmp_path / "out"))
    assert summary["counts"]["in"] == 0
    for folder in ("corpus", "rejected"):
        table = pq.read_table(tmp_path / "out" / folder)
        assert table.num_rows == 0 and table.schema.names == OUTPUT_SCHEMA.names


def test_the_corpus_wide_steps_in_a_process_of_their_own_decide_the_same(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    (inputs / "copy.txt").write_text(edited_copy((SEEDS / f"{ORIGINAL}.txt").read_text()))
    rng = random.Random(7)  # and one site's footer on all of its pages, for the chrome reduces
    footer = "The Daily Planet is published every morning by Planet Media Group in Springfield."
    pages = [
        {"id": f"planet{i}", "site": "planet.example", "text": f"{article(rng)}\n{footer}"}
        for i in range(12)
    ]
    (inputs / "pages.jsonl").write_text("\n".join(json.dumps(r) for r in pages) + "\n")
    run_alone, alone_runs = module.workers.run_alone, []

    def spied(fn, *args):
        alone_runs.append(fn.name)
        return run_alone(fn, *args)

    monkeypatch.setattr(module.workers, "run_alone", spied)
    tables = []
    for alone_from in (10**9, 0):
        monkeypatch.setattr(module, "ALONE_FROM_DOCS", alone_from)
        out = tmp_path / f"out{alone_from}"
        clean_corpus(
            inputs=[str(inputs)], out=str(out), workers_count=2, config={"run": {"shard_size": 2}}
        )
        tables.append((read(out / "corpus"), read(out / "rejected")))
    assert alone_runs == ["frequent_lines", "chrome", "cluster"]  # the second run only
    assert tables[0] == tables[1]
    assert len(tables[0][1]) == 1  # the edited copy, found by either
    chrome = [
        row
        for row in tables[0][0]
        if {"rule": "chrome", "removed": footer, "replacement": None} in row["changes"]
    ]
    assert len(chrome) == 12  # the footer, found by either


def test_the_chrome_steps_after_one_that_found_nothing_are_not_run(tmp_path, monkeypatch):
    """No site with a line on several of its pages: nothing to count, no chrome to strip (the
    HTML and .txt pages of a folder have no site at all). A line on three pages of a site is a
    candidate, counted, but no chrome (eight articles make chrome): nothing to strip. Either
    way the output is the output of a run with chrome off."""
    rng = random.Random(3)
    footer = "The Morning Courier is printed in Riverside and delivered before seven each day."
    runs, run = [], module.workers.run

    def spied(fn, *args):
        runs.append(fn.name)
        return run(fn, *args)

    monkeypatch.setattr(module.workers, "run", spied)
    for name, pages in (
        ("no-candidates", [article(rng) for _ in range(4)]),
        ("no-chrome", [f"{article(rng)}\n{footer}" for _ in range(3)]),
    ):
        inputs = tmp_path / name
        shutil.copytree(SEEDS, inputs)
        records = [
            {"id": f"{name}{i}", "site": "courier.example", "text": text}
            for i, text in enumerate(pages)
        ]
        (inputs / "pages.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
        tables = []
        for enabled in (True, False):
            runs.clear()
            out = tmp_path / f"{name}-{enabled}"
            summary = clean_corpus(
                inputs=[str(inputs)], out=str(out), config={"chrome": {"enabled": enabled}}
            )
            tables.append((read(out / "corpus"), read(out / "rejected")))
            if enabled:
                ran = set(runs)
                stages_timed = set(summary["seconds"])
        assert tables[0] == tables[1]
        assert "frequent_lines" in ran and "strip_chrome" not in ran
        if name == "no-candidates":
            assert not {"count_chrome", "chrome"} & ran
            assert not {"count-chrome", "chrome"} & stages_timed
        else:
            assert {"count_chrome", "chrome"} <= ran
            assert {"count-chrome", "chrome"} <= stages_timed
            texts = [row["text"] for row in tables[0][0] if row["doc_id"].startswith(name)]
            assert len(texts) == 3 and all(footer in text for text in texts)


def test_a_resumed_run_skips_the_chrome_steps_its_kept_reduce_found_nothing_for(tmp_path):
    """An interrupted run's kept site-lines file decides as the reduce did: no rows, no chrome
    steps after it (its row count read from the file, the reduce not run again)."""
    kept = tmp_path / "site-lines.parquet"

    def resumed() -> str | None:
        never = None  # the reduce is not run again: calling it would fail
        return _chrome_reduce(
            never, "line-frequency", kept.name, [], Config.load(), str(tmp_path), "", False
        )

    write_table(FREQUENCY_SCHEMA.empty_table(), kept)
    assert resumed() is None
    one = {"site": ["a.example"], "line_hash": [7], "docs": [3]}
    write_table(pa.table(one, FREQUENCY_SCHEMA), kept)
    assert resumed() == str(kept)
