"""`python -m infra.local` for real: a separate process, started, asked over HTTP, interrupted.

The deadlines below only stop a hung process from hanging the suite; nothing is asserted about
how long anything took.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tests.conftest import REPO, url_string

HANG_GUARD_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCloud:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            # Any free port for the WebSocket API and moto: a developer's `make run` may hold the defaults.
            [sys.executable, "-m", "infra.local", "--http-port", str(self.port), "--ws-port", "0", "--aws-port", "0"],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self) -> dict:
        deadline = time.monotonic() + HANG_GUARD_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"python -m infra.local exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as response:
                    if response.status == 200:
                        return json.loads(response.read())
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        pytest.fail(f"/health never answered 200:\n{self.output()}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"python -m infra.local did not stop after SIGINT:\n{self.output()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("STOFLOW_")}
    env.update(extra)
    return env


@pytest.fixture
def clouds(tmp_path) -> Iterator[list[LocalCloud]]:
    started: list[LocalCloud] = []
    yield started
    for cloud in started:
        cloud.close()


def test_it_starts_on_the_given_database_and_stops_cleanly_on_sigint(empty_database_url, tmp_path, clouds):
    # A database of its own: the local cloud migrates every tenant it finds, and other tests leave
    # tenants in deliberately odd states in the shared one.
    cloud = LocalCloud(base_env(DATABASE_URL=url_string(empty_database_url), STOFLOW_DATA_DIR=str(tmp_path)),
                       tmp_path / "run.log")
    clouds.append(cloud)
    assert cloud.wait_healthy() == {"status": "ok", "database": "ok"}
    assert cloud.interrupt() == 0, cloud.output()
    output = cloud.output()
    assert f"http://127.0.0.1:{cloud.port}" in output
    assert "embedded" not in output  # a given DATABASE_URL is used as it is


@pytest.fixture
def shared_data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: that folder is private to the user running the tests, and the
    # embedded PostgreSQL runs as its own system user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="stoflow-local-run-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_without_database_url_the_embedded_data_survives_a_restart(shared_data_dir, tmp_path, clouds):
    env = base_env(STOFLOW_DATA_DIR=str(shared_data_dir))
    socket_path = shared_data_dir / "pg" / ".s.PGSQL.5432"
    url = URL.create("postgresql+pg8000", username="postgres", database="stoflow",
                     query={"unix_sock": str(socket_path)})

    first = LocalCloud(env, tmp_path / "first.log")
    clouds.append(first)
    first.wait_healthy()
    marker = create_engine(url, poolclass=NullPool)
    with marker.begin() as connection:
        connection.execute(text("CREATE TABLE public.restart_marker (id int)"))
        connection.execute(text("INSERT INTO public.restart_marker VALUES (42)"))
    assert first.interrupt() == 0, first.output()
    assert not socket_path.exists()  # the embedded server was stopped with the rest

    second = LocalCloud(env, tmp_path / "second.log")
    clouds.append(second)
    second.wait_healthy()
    with marker.begin() as connection:
        assert connection.scalar(text("SELECT id FROM public.restart_marker")) == 42
    marker.dispose()
    assert second.interrupt() == 0, second.output()
