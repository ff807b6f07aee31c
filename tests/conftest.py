"""Test settings: Prefect runs offline in a throw-away home, under one harness server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Before anything imports prefect: its settings are read at import time.
_PREFECT_HOME = tempfile.mkdtemp(prefix="clean-corpus-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.update(
    {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "60",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
)

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
GEN = REPO.parent / "shared" / "bench" / "gen_corpus.py"


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect server for every flow test of the session (it takes ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="session")
def generated_site_corpus(tmp_path_factory) -> tuple[list[dict], dict[str, str]]:
    """300 pages of ../shared/bench/gen_corpus.py (seed 1): the documents, and each one's
    true cluster. Skipped where the generator or its Debian prose is missing, but not in CI
    (`make prose` installs it there)."""
    if not GEN.exists():
        pytest.skip("shared/bench/gen_corpus.py not beside the repo")
    out = tmp_path_factory.mktemp("generated")
    run = subprocess.run(
        [sys.executable, str(GEN), "--docs", "300", "--seed", "1", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0 and not os.environ.get("CI"):
        pytest.skip(f"gen_corpus.py needs its Debian prose packages: {run.stderr[-200:]}")
    assert run.returncode == 0, run.stderr[-2000:]
    docs = [json.loads(line) for line in (out / "docs.jsonl").open(encoding="utf-8")]
    truth = {t["id"]: t["cluster"] for t in map(json.loads, (out / "truth.jsonl").open())}
    return docs, truth


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def seed_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
