"""`python -m infra.local` for real: a separate process, started, asked over HTTP, interrupted.

The deadlines below only stop a hung process from hanging the suite; nothing is asserted about
how long anything took.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tests.conftest import url_string
from tests.support.local_cloud import CloudProcess


def start(clouds: list[CloudProcess], env: dict[str, str], log_path: Path) -> CloudProcess:
    cloud = CloudProcess(env, log_path)
    clouds.append(cloud)  # closed by the fixture, even if starting fails half-way
    cloud.start()
    assert cloud.call("GET", "/health") == (200, {"status": "ok", "database": "ok"})
    return cloud


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("STOFLOW_")}
    env.update(extra)
    return env


@pytest.fixture
def clouds(tmp_path) -> Iterator[list[CloudProcess]]:
    started: list[CloudProcess] = []
    yield started
    for cloud in started:
        cloud.close()


def test_it_starts_on_the_given_database_and_stops_cleanly_on_sigint(empty_database_url, tmp_path, clouds):
    # A database of its own: the local cloud migrates every tenant it finds, and other tests leave
    # tenants in deliberately odd states in the shared one.
    env = base_env(DATABASE_URL=url_string(empty_database_url), STOFLOW_DATA_DIR=str(tmp_path))
    cloud = start(clouds, env, tmp_path / "run.log")
    assert cloud.interrupt() == 0, cloud.output()
    output = cloud.output()
    assert cloud.http in output
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
    url = URL.create(
        "postgresql+pg8000", username="postgres", database="stoflow", query={"unix_sock": str(socket_path)}
    )

    first = start(clouds, env, tmp_path / "first.log")
    marker = create_engine(url, poolclass=NullPool)
    with marker.begin() as connection:
        connection.execute(text("CREATE TABLE public.restart_marker (id int)"))
        connection.execute(text("INSERT INTO public.restart_marker VALUES (42)"))
    assert first.interrupt() == 0, first.output()
    assert not socket_path.exists()  # the embedded server was stopped with the rest

    second = start(clouds, env, tmp_path / "second.log")
    with marker.begin() as connection:
        assert connection.scalar(text("SELECT id FROM public.restart_marker")) == 42
    marker.dispose()
    assert second.interrupt() == 0, second.output()
