#!/usr/bin/env python3
"""Make docs/ui-run.png: the Prefect UI's page of a scheduled clean-corpus run.

    make screenshot

Starts `clean-corpus ui` on a spare port with a throw-away Prefect home, serves the flow on
seeds/ every 30 s, waits for two completed scheduled runs, and takes the run page of the
latest with headless Chromium (Debian's `chromium`, installed with apt-get when missing).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url: str, path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def chromium() -> str:
    found = shutil.which("chromium")
    if not found:
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"], check=True
        )
        found = shutil.which("chromium")
    return found


def main() -> int:
    browser = chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PREFECT_HOME": home, "PREFECT_API_URL": f"{base}/api"}
        ui = subprocess.Popen(
            [BIN / "clean-corpus", "ui", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        print(ui.stdout.readline().strip(), flush=True)
        out = Path(home) / "clean"
        serve = subprocess.Popen(
            [
                BIN / "clean-corpus",
                "serve",
                "seeds",
                "--out",
                str(out),
                "--interval",
                "30",
                "--workers",
                "1",
            ],
            cwd=REPO,
            env=env,
        )
        try:
            deadline = time.monotonic() + 240
            while True:
                runs = api(
                    f"{base}/api",
                    "/flow_runs/filter",
                    {
                        "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
                        "sort": "EXPECTED_START_TIME_DESC",
                        "limit": 10,
                    },
                )
                if len(runs) >= 2 or time.monotonic() > deadline:
                    break
                time.sleep(5)
            if len(runs) < 2:
                raise SystemExit("no two completed scheduled runs within 4 minutes")
            run = runs[0]
            print(f"{len(runs)} completed runs; latest {run['name']} ({run['id']})")
            target = REPO / "docs" / "ui-run.png"
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [
                        browser,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        f"--user-data-dir={profile}",
                        "--virtual-time-budget=20000",
                        "--window-size=1400,1000",
                        f"--screenshot={target}",
                        f"{base}/runs/flow-run/{run['id']}",
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            print(f"wrote {target.relative_to(REPO)}")
        finally:
            serve.send_signal(signal.SIGINT)
            serve.wait(timeout=30)
            ui.send_signal(signal.SIGINT)
            ui.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
