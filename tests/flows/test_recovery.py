"""A run killed mid-way leaves the previous output intact, and the next run resumes it."""

import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from flows.clean_corpus import clean_corpus
from tests.conftest import REPO, SEEDS
from tests.synthetic import write_jsonl_corpus

pytestmark = pytest.mark.usefixtures("prefect_harness")

SHARD = 600


def parts(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def start_run(big, out):
    """`clean-corpus run` in its own process group, against the harness's Prefect server."""
    from prefect.settings import get_current_settings

    env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}
    command = [sys.executable, "-m", "flows.cli", "run", str(big), "--out", str(out)]
    command += ["--workers", "1", "--shard-size", str(SHARD)]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_mid_run_keeps_the_previous_output_and_the_rerun_resumes(tmp_path):
    big = write_jsonl_corpus(tmp_path / "big.jsonl", docs=SHARD * 8)
    out = tmp_path / "clean"
    clean_corpus(inputs=[str(SEEDS)], out=str(out), workers_count=1)
    previous = (out / "manifest.json").read_bytes(), parts(out / "corpus")

    process = start_run(big, out)
    deadline = time.monotonic() + 45
    cleaned = []
    while len(cleaned) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        cleaned = list(tmp_path.glob(".clean.work-*/cleaned/part-*.parquet"))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert len(cleaned) >= 3, "the run did not get far enough to be killed mid-way"
    assert process.returncode == -signal.SIGKILL

    assert ((out / "manifest.json").read_bytes(), parts(out / "corpus")) == previous

    resumed = clean_corpus(
        inputs=[str(big)], out=str(out), workers_count=1, config={"run": {"shard_size": SHARD}}
    )
    assert 3 <= resumed["shards_reused"] < resumed["shards"] == 8
    assert not list(tmp_path.glob(".clean.work-*"))

    fresh = tmp_path / "fresh"
    clean_corpus(
        inputs=[str(big)], out=str(fresh), workers_count=1, config={"run": {"shard_size": SHARD}}
    )
    for folder in ("corpus", "rejected"):
        assert parts(out / folder) == parts(fresh / folder)
    assert pq.read_metadata(out / "corpus" / "part-00000.parquet").num_rows > 0
