"""notebooks/explore.ipynb runs top to bottom on a real output, so it never rots."""

import nbformat
import pytest
from nbclient import NotebookClient

from flows.clean_corpus import clean_corpus
from tests.conftest import REPO, SEEDS


@pytest.mark.usefixtures("prefect_harness")
def test_explore_notebook_runs_on_the_seeds_output(tmp_path, monkeypatch):
    out = tmp_path / "clean"
    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (inputs / seed.name).write_text(seed.read_text())
    (inputs / "copy.txt").write_text((SEEDS / "000_0552e46346e51699.txt").read_text())
    clean_corpus(inputs=[str(inputs)], out=str(out), workers_count=1)

    notebook = nbformat.read(REPO / "notebooks" / "explore.ipynb", as_version=4)
    monkeypatch.setenv("CLEAN_CORPUS_OUT", str(out))
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO / "notebooks")}},
    ).execute()

    outputs = {i: cell.get("outputs", []) for i, cell in enumerate(notebook.cells)}
    assert not any(o.get("output_type") == "error" for cell in outputs.values() for o in cell)
    text = "\n".join(
        str(o.get("data", {}).get("text/plain", o.get("text", "")))
        for cell in outputs.values()
        for o in cell
    )
    assert "exact_duplicate" in text  # the copy shows in the counts ...
    assert "boilerplate.tag_spam" in text  # ... a seed's removal in the rules table
    assert any("image/png" in o.get("data", {}) for cell in outputs.values() for o in cell)
