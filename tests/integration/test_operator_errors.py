"""Errors a person can act on: a database that cannot be reached and a port already taken are
said in two lines naming what to check or change, never as a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from stoflow.cli import main
from stoflow.config import get_settings
from tests.support.api import REPO


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_local_cloud(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.local", "--no-demo", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_run_with_an_unreachable_database_says_where_and_what_to_check(closed_port):
    url = f"postgresql://postgres@127.0.0.1:{closed_port}/stoflow"
    result = run_local_cloud("--http-port", "0", "--ws-port", "0", "--aws-port", "0", env={"DATABASE_URL": url})
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 2, lines
    assert f"127.0.0.1:{closed_port}" in lines[0] and "connection refused" in lines[0]
    assert "DATABASE_URL" in lines[1] and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("flag", "variable"), [("--http-port", "STOFLOW_LOCAL_HTTP_PORT"), ("--ws-port", "STOFLOW_LOCAL_WS_PORT")]
)
def test_make_run_on_a_busy_port_names_the_port_and_what_moves_it(flag, variable):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        others = [f for f in ("--http-port", "--ws-port", "--aws-port") if f != flag]
        result = run_local_cloud(flag, str(port), *[x for f in others for x in (f, "0")])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert f"port {port}" in lines[0]
    assert flag in lines[1] and variable in lines[1]


def test_the_cli_with_an_unreachable_database_answers_in_two_lines(closed_port, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:secret@127.0.0.1:{closed_port}/stoflow")
    get_settings.cache_clear()
    try:
        assert main(["db", "status"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert f"127.0.0.1:{closed_port}" in err[0] and "DATABASE_URL" in err[1]
    assert "secret" not in "\n".join(err)  # the password is never printed
