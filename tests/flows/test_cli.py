import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import _early_workers, build_parser, main
from tests.conftest import SEEDS
from tests.synthetic import write_jsonl_corpus


def test_help_lists_the_run_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--out", "--config", "INPUT"):
        assert option in help_text


def test_missing_input_is_named_before_any_work(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.jsonl: no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bad_config_is_an_error(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[dedup]\nthreshold = 3\n")
    assert main(["run", str(SEEDS), "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    assert "threshold" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_run_with_a_config_file_prints_a_summary(tmp_path, capsys):
    config = tmp_path / "c.toml"
    title = "Zelensky Reaches Out to Trump Amid Russia Tensions"
    config.write_text(f'[boilerplate]\nextra_phrases = ["{title}"]\n')
    out = tmp_path / "out"
    assert main(["run", str(SEEDS), "--out", str(out), "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "documents in" in printed and str(out) in printed
    texts = pq.read_table(out / "corpus").column("text").to_pylist()
    assert len(texts) == 5
    assert not any(title in t for t in texts)


@pytest.mark.usefixtures("prefect_harness")
def test_progress_lines_per_stage_when_not_on_a_terminal(tmp_path, capsys):
    assert main(["run", str(SEEDS), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    for stage in (
        "plan: 1 step",
        "clean: 5 docs",
        "site-lines: 1 step",
        "signatures: 5 docs",
        "cluster: 1 step",
        "write: 5 docs",
    ):
        assert stage in err
    assert "chrome:" not in err  # .txt pages have no site: no chrome to count or find


@pytest.mark.usefixtures("prefect_harness")
def test_quiet_prints_no_progress_and_no_summary(tmp_path, capsys):
    assert main(["run", str(SEEDS), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "clean: 5 docs" not in err  # no progress lines (Prefect's own log may show)


def write_output(out, rows):
    """A small real clean-corpus output, written with the output schema."""
    from flows.io import OUTPUT_SCHEMA, write_table

    for folder in ("corpus", "rejected"):
        part = [
            {f.name: r.get(f.name) for f in OUTPUT_SCHEMA}
            for r in rows
            if (r.get("reason") is None) == (folder == "corpus")
        ]
        write_table(
            pa.Table.from_pylist(part, schema=OUTPUT_SCHEMA), out / folder / "part-0.parquet"
        )


def change(rule, removed, replacement=None):
    return {"rule": rule, "removed": removed, "replacement": replacement}


def test_explain_groups_one_documents_changes_by_rule(tmp_path, capsys):
    out = tmp_path / "out"
    write_output(
        out,
        [
            {
                "doc_id": "a b",
                "source": "in/a b.txt",
                "text": "Body.",
                "changes": [
                    change("boilerplate.top_block", "Home"),
                    change("encoding", "cafÃ©", "café"),
                    change("boilerplate.top_block", "World"),
                    change("chrome", "© 2024 Planet"),
                ],
            },
            {
                "doc_id": "b",
                "source": "in/b.txt",
                "text": "Body.",
                "changes": [change("boilerplate.phrase", "Other document's line")],
                "reason": "near_duplicate",
                "duplicate_of": "a b",
            },
        ],
    )
    assert main(["explain", "a b", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "a b: kept"
    top = printed.index("boilerplate.top_block (2)")
    assert top < printed.index("  - Home") < printed.index("  - World") < printed.index("encoding")
    assert "  ~ cafÃ© -> café" in printed and "chrome (1)" in printed
    assert "Other document's line" not in printed

    assert main(["explain", "b", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rejected (near_duplicate), duplicate of a b" in printed
    assert "boilerplate.phrase (1)" in printed and "top_block" not in printed


def test_explain_unknown_document_or_folder(tmp_path, capsys):
    out = tmp_path / "out"
    write_output(out, [{"doc_id": "a", "source": "a.txt", "text": "x", "changes": []}])
    assert main(["explain", "zzz", "--out", str(out)]) == 1
    assert "no document 'zzz'" in capsys.readouterr().err
    assert main(["explain", "a", "--out", str(tmp_path / "missing")]) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_bigger_than_a_shard_starts_its_workers_before_the_flow(tmp_path, monkeypatch):
    from flows import workers

    corpus = write_jsonl_corpus(tmp_path / "docs.jsonl", 1200)  # some 1.25 MB
    config = tmp_path / "c.toml"
    config.write_text("[run]\nshard_mb = 1\nshard_size = 300\n")
    started, real = [], workers.started_early

    def recording(n, warm_up, *args):
        started.append((n, workers._pool))  # before the flow: no pool yet
        return real(n, warm_up, *args)

    monkeypatch.setattr(workers, "started_early", recording)
    out = tmp_path / "out"
    argv = ["run", str(corpus), "--out", str(out), "--config", str(config), "--workers", "2"]
    assert main([*argv, "--quiet"]) == 0
    assert started == [(2, None)]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["workers"] == 2 and manifest["counts"]["in"] == 1200


def test_a_run_of_one_shards_bytes_or_on_dask_starts_no_worker_early():
    parser = build_parser()
    small = parser.parse_args(["run", str(SEEDS), "--workers", "2"])
    assert _early_workers(small, input_bytes=20_000, shard_bytes=32 << 20) == 0
    assert _early_workers(small, input_bytes=20_000, shard_bytes=1) == 2
    dask = parser.parse_args(["run", str(SEEDS), "--workers", "2", "--dask-address", "tcp://x:1"])
    assert _early_workers(dask, input_bytes=20_000, shard_bytes=1) == 0
