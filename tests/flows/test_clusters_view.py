"""`clean-corpus clusters` on real outputs of the flow (two batches into one --out)."""

import pytest

from flows.clean_corpus import clean_corpus
from flows.cli import main
from tests.flows.test_dedup_index import articles, edited, write_jsonl

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clusters")
    a_texts, b_texts = articles(11, 3), articles(12, 2)
    a = write_jsonl(tmp / "a.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(a_texts)])
    b = write_jsonl(
        tmp / "b.jsonl",
        [
            {"id": "b0", "text": b_texts[0]},
            {"id": "b0-copy1", "text": edited(b_texts[0])},
            {"id": "b0-copy2", "text": edited(b_texts[0]).upper()},
            {"id": "b1", "text": b_texts[1]},
            {"id": "a2-copy", "text": edited(a_texts[2])},
        ],
    )
    out = tmp / "out"
    clean_corpus(inputs=[a], out=str(out), workers_count=1)
    clean_corpus(inputs=[b], out=str(out), workers_count=1)
    return out, b_texts


def test_lists_the_largest_clusters_first(output, capsys):
    out, _ = output
    assert main(["clusters", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("b0-copy1") < printed.index("a2 ")  # size 3 before size 2
    assert "(kept by an earlier run)" in printed
    assert "b1" not in printed  # a cluster of one is no duplicate cluster


def test_shows_one_clusters_members_side_by_side(output, capsys):
    out, _ = output
    assert main(["clusters", "b0-copy1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("│ b0")]
    assert [line.split()[1] for line in lines] == ["b0-copy1", "b0-copy2", "b0"]
    assert "representative" in lines[0] and "exact_duplicate" in printed
    assert "1.000" in lines[1] and "near_duplicate" in lines[2]


def test_a_cluster_around_an_earlier_runs_document(output, capsys):
    out, _ = output
    assert main(["clusters", "a2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "representative (earlier run)" in printed and "a.jsonl" in printed
    assert "a2-copy" in printed


def test_unknown_cluster_or_folder(output, tmp_path, capsys):
    out, _ = output
    assert main(["clusters", "nope", "--out", str(out)]) == 1
    assert "no cluster 'nope'" in capsys.readouterr().err
    assert main(["clusters", "--out", str(tmp_path)]) == 2
    assert "not a clean-corpus output" in capsys.readouterr().err
