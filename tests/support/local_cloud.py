"""The local cloud as a separate process, for the tests that run `python -m infra.local` for real.

The deadlines only keep a hung process from hanging the suite; nothing is asserted about how
long anything took.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 120
READY_LINE = "Ctrl-C stops every part."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(url: str, method: str = "GET", body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None


class CloudProcess:
    """`python -m <module>` (infra.local, or a test's wrapper of it) on free ports; it can be
    stopped and started again on the same ports and data."""

    def __init__(self, env: dict[str, str], log_path: Path, module: str = "infra.local") -> None:
        self.env = dict(env)
        self.module = module
        self.http_port, self.ws_port, self.aws_port = free_port(), free_port(), free_port()
        self.sandbox_port, self.vinted_port = free_port(), free_port()
        self.dashboard_port = free_port()
        self.env.setdefault("STOFLOW_WS_PUBLIC_URL", self.ws)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sandbox(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> CloudProcess:
        """Start the process and wait until it says every part is up."""
        ready_before = self.output().count(READY_LINE)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    self.module,
                    "--http-port",
                    str(self.http_port),
                    "--ws-port",
                    str(self.ws_port),
                    "--aws-port",
                    str(self.aws_port),
                    "--sandbox-port",
                    str(self.sandbox_port),
                    "--vinted-port",
                    str(self.vinted_port),
                    "--dashboard-port",
                    str(self.dashboard_port),
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + HANG_GUARD_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.module} exited with {self.process.returncode}:\n{self.output()[-5000:]}")
            if self.output().count(READY_LINE) > ready_before:
                return self
            time.sleep(0.2)
        pytest.fail(f"{self.module} never finished starting:\n{self.output()[-5000:]}")

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        return http_json(self.http + path, method, body, token)

    def interrupt(self) -> int:
        """Ctrl-C, as a developer would; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{self.module} did not stop after SIGINT:\n{self.output()[-5000:]}")

    def stop(self) -> None:
        """Ctrl-C, then kill if it does not stop; asserts nothing (clean-up, restarts)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    close = stop


def consent(cloud: CloudProcess, token: str, marketplace: str) -> dict[str, Any]:
    """What a seller does: open the authorization URL, press Approve on the marketplace's page;
    the page the browser lands on hands code and state to the API (as the dashboard would)."""
    status, started = cloud.call("GET", f"/marketplaces/{marketplace}/connect", token=token)
    assert status == 200, started
    url = started["authorization_url"]
    assert url.startswith(cloud.sandbox), url
    with httpx.Client(timeout=HANG_GUARD_S) as browser:
        shown = browser.get(url)
        assert shown.status_code == 200 and "value=approve" in shown.text and "value=deny" in shown.text
        approved = browser.post(url, data={**dict(parse_qsl(urlsplit(url).query)), "decision": "approve"})
        assert approved.status_code == 302, approved.text
        landing = approved.headers["location"]
        assert browser.get(landing).status_code == 200
    query = dict(parse_qsl(urlsplit(landing).query))
    assert query["state"] == started["state"]
    path = f"/marketplaces/{marketplace}/callback?" + str(httpx.QueryParams(code=query["code"], state=query["state"]))
    status, connection = cloud.call("GET", path, token=token)
    assert status == 200, connection
    return connection


def wait_for_job(cloud: CloudProcess, token: str, **wanted: Any) -> dict[str, Any]:
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        # Filtered on the server: a busy tenant's newest hundred jobs may not hold the one wanted.
        status, page = cloud.call("GET", f"/jobs?limit=100&{urlencode(wanted)}", token=token)
        assert status == 200, page
        for job in page["items"]:
            if all(job.get(k) == v for k, v in wanted.items()) and job["status"] in ("completed", "failed"):
                return job
        time.sleep(0.5)
    pytest.fail(f"no finished job {wanted}:\n{cloud.output()[-3000:]}")


def sandbox_cli(cloud: CloudProcess, *args: str) -> dict[str, Any]:
    """`stoflow sandbox ...`, as a developer types it, against this cloud's sandboxes."""
    env = {**os.environ, "STOFLOW_LOCAL_SANDBOX_URL": cloud.sandbox}
    done = subprocess.run(
        [sys.executable, "-m", "stoflow.cli", "sandbox", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
