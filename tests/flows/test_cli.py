import pyarrow.parquet as pq
import pytest

from flows.cli import main
from tests.conftest import SEEDS


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
        "signatures: 5 docs",
        "cluster: 1 step",
        "write: 5 docs",
    ):
        assert stage in err


@pytest.mark.usefixtures("prefect_harness")
def test_quiet_prints_no_progress_and_no_summary(tmp_path, capsys):
    assert main(["run", str(SEEDS), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "clean: 5 docs" not in err  # no progress lines (Prefect's own log may show)
