"""The way Prefect users run it: `clean-corpus ui` starts a real server; a run sent there shows
up, through the Prefect client, with its task runs and its report artifact."""

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from flows.cli import server_is_up
from tests.conftest import REPO, SEEDS

CLI = [sys.executable, "-m", "flows.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ui(port: int, env: dict[str, str], **popen) -> subprocess.Popen:
    process = subprocess.Popen(
        [*CLI, "ui", "--port", str(port)],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **popen,
    )
    first_line = process.stdout.readline()  # printed once the server answers
    assert first_line.strip() == f"Prefect UI: http://127.0.0.1:{port}", first_line
    return process


def assert_stops(process: subprocess.Popen, port: int, sig: int) -> None:
    """The signal stops `ui` cleanly, and the Prefect server it started with it."""
    process.send_signal(sig)
    assert process.wait(timeout=60) == 0
    assert "Stopping the Prefect server" in process.stdout.read()
    assert not server_is_up(f"http://127.0.0.1:{port}/api")


def prefect_home(tmp_path_factory) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-home"))}
    env.pop("PREFECT_API_URL", None)
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`clean-corpus ui` on a free loopback port, with its own Prefect home, started with SIGINT
    ignored the way a script's background job inherits it: Ctrl-C must stop it all the same."""
    port, env = free_port(), prefect_home(tmp_path_factory)
    process = start_ui(port, env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    yield f"http://127.0.0.1:{port}/api", env
    assert_stops(process, port, signal.SIGINT)


def test_a_run_sent_to_the_server_has_its_task_runs_and_report(server, tmp_path):
    api, env = server
    out = tmp_path / "out"
    completed = subprocess.run(
        [*CLI, "run", str(SEEDS), "--out", str(out), "--workers", "1"],
        cwd=REPO,
        env={**env, "PREFECT_API_URL": api},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert f"Sending this run to the Prefect server at {api}" in completed.stdout

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.settings import PREFECT_API_URL, temporary_settings

    run_id = json.loads((out / "manifest.json").read_text())["run_id"]
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run_id)
        assert flow_run.state.is_completed()
        assert client.read_flow(flow_run.flow_id).name == "clean_corpus"
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
        )
        names = {t.name for t in task_runs}
        assert names == {
            "plan",
            "clean-00000",
            "site-lines",  # the seeds have no site: no chrome to count (count-chrome, chrome)
            "signatures-00000",
            "cluster",
            "write-00000",
        }
        assert all(t.state.is_completed() for t in task_runs)
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["clean-corpus-report"])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])),
        )
    assert artifact.type == "markdown"
    assert "| kept | 5 |" in artifact.data
    assert "boilerplate.tag_spam" in artifact.data
    assert str(out) in artifact.data


def test_ui_says_when_a_server_is_already_running(server):
    api, env = server
    port = api.split(":")[-1].split("/")[0]
    completed = subprocess.run(
        [*CLI, "ui", "--port", port],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0
    assert "already running" in completed.stdout


def test_sigterm_stops_the_ui_and_its_server(tmp_path_factory):
    port = free_port()
    process = start_ui(port, prefect_home(tmp_path_factory))
    assert_stops(process, port, signal.SIGTERM)


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path_factory):
    env = prefect_home(tmp_path_factory)
    with socket.socket() as taken:  # something that is not Prefect holds the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [*CLI, "ui", "--port", str(port)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
        )
    log = os.path.join(env["PREFECT_HOME"], "server.log")
    assert completed.returncode == 2
    assert f"the Prefect server did not start (log: {log})" in completed.stderr
    assert os.path.getsize(log) > 0
