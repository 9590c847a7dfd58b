"""Shared bench plumbing: a scratch database, and figures printed next to their baselines."""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from stoflow.db.engine import build_engine, normalise_url
from stoflow.db.roles import ensure_roles

REPO = Path(__file__).resolve().parents[1]


def admin_url() -> URL:
    given = os.environ.get("STOFLOW_BENCH_DATABASE_URL") or os.environ.get("STOFLOW_TEST_DATABASE_URL")
    if given:
        return normalise_url(given)
    from infra.local import embedded

    return embedded.url(embedded.start(REPO / ".stoflow-data" / "test-pg"))


@contextmanager
def scratch_database(pool_size: int = 8) -> Iterator[tuple[Engine, URL]]:
    """A fresh database for one benchmark, dropped afterwards."""
    base = admin_url()
    name = f"stoflow_bench_{secrets.token_hex(4)}"
    admin = create_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name)
    engine = build_engine(url, pool_size=pool_size, max_overflow=pool_size)
    # The shared migrations grant rights to the application role: it must exist on the server.
    ensure_roles(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def deployed_backend(**env: str) -> Iterator[tuple[Engine, URL]]:
    """The backend as a function container runs it, on a scratch database: the shared schema
    migrated, a data folder of its own, AWS through moto, `env` on top (STOFLOW_LOG_LEVEL=ERROR by
    default); the runtime's parts built anew inside, and dropped with the variables afterwards.
    Yields the admin engine and the database URL."""
    import tempfile

    from moto import mock_aws

    from stoflow import runtime
    from stoflow.db.migrations import migrate_shared
    from stoflow.jobs.queue import QUEUE
    from stoflow.marketplaces.registry import JOB_HANDLERS

    env = {"STOFLOW_LOG_LEVEL": "ERROR", **env}
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "STOFLOW_DATA_DIR", *env)}
    with scratch_database(pool_size=2) as (admin, url), tempfile.TemporaryDirectory() as data_dir, mock_aws():
        migrate_shared(admin)
        os.environ.update(DATABASE_URL=url.render_as_string(hide_password=False), STOFLOW_DATA_DIR=data_dir, **env)
        runtime.reset()
        try:
            yield admin, url
        finally:
            runtime.provide(JOB_HANDLERS, None)
            runtime.provide(QUEUE, None)
            restore_environ(saved)
            runtime.reset()


def bench_seller(admin: Engine | None = None, tier: str | None = None) -> tuple[str, str]:
    """A registered seller, on `tier` if given (set through `admin` before the login): (email,
    access token)."""
    from stoflow.services.accounts import register
    from stoflow.services.auth import login

    email = f"bench.{secrets.token_hex(4)}@example.com"
    register(email, "correct horse battery", "203.0.113.9")
    if tier is not None:
        assert admin is not None
        with admin.begin() as connection:
            connection.execute(
                text("UPDATE public.users SET tier = :tier WHERE email = :email"), {"tier": tier, "email": email}
            )
    return email, login(email, "correct horse battery", "203.0.113.9").access_token


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of `fn` in seconds over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def figure(name: str, value_s: float, baseline_name: str, baseline_s: float, budget: str) -> None:
    """One line: the figure, its baseline measured in the same run, the ratio and the budget."""
    ratio = value_s / baseline_s if baseline_s else float("inf")
    print(
        f"{name:<44} {value_s * 1000:10.2f} ms   vs {baseline_name:<36} {baseline_s * 1000:10.2f} ms"
        f"   ratio {ratio:5.2f}x   budget {budget}"
    )


def restore_environ(saved: dict[str, str | None]) -> None:
    """Puts back the variables a bench changed (None: it was not set)."""
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
