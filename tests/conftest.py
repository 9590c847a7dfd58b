"""Shared fixtures: a fresh PostgreSQL database per test run, migrated to head.

The server is the one named by STOFLOW_TEST_DATABASE_URL (CI sets it to the running server), or
else an embedded one (pgserver) with its data under .stoflow-data/test-pg. The run's database is
created empty, migrated, and dropped at the end: tests never assume an empty server.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from stoflow import runtime
from stoflow.db.engine import build_engine, get_engine, normalise_url
from stoflow.db.migrations import migrate_shared
from stoflow.db.provisioning import create_tenant
from stoflow.db.roles import APP_ROLE, MIGRATOR_ROLE, ensure_roles

REPO = Path(__file__).resolve().parents[1]

# Shared fixtures of the areas: identity (tests.support.api), jobs_world (tests.support.jobs).
pytest_plugins = ["tests.support.api", "tests.support.jobs"]

# Tests share one database, where other tests' tenants have due scheduled work too: a scheduled
# run visits them all itself unless a test asks for the fan-out (stoflow.jobs.due).
os.environ.setdefault("STOFLOW_SCHEDULED_FAN_OUT_OVER", str(10**6))


_SESSION_STATEMENT = re.compile(r"^\s*(SET|RESET|DISCARD)\b|search_path", re.IGNORECASE)
_OUTSIDE_ALLOWED = re.compile(r"^\s*(begin|start transaction|commit|rollback)\b", re.IGNORECASE)


def wire_breach(statement: str, in_transaction: bool, autocommit: bool) -> str | None:
    if _SESSION_STATEMENT.search(statement):
        return f"session statement: {statement[:200]}"
    if not in_transaction and not autocommit and not _OUTSIDE_ALLOWED.match(statement):
        return f"outside a transaction: {statement[:200]}"
    return None


@pytest.fixture(scope="session", autouse=True)
def wire_discipline() -> Iterator[list[str]]:
    """Every statement any test sends through pg8000 in this process is checked on the wire: no
    session-level statement (SET, RESET, search_path), and none outside a transaction except on
    the admin connections that create and drop databases (AUTOCOMMIT, which a static test keeps
    out of the application). A breach anywhere fails the run."""
    from pg8000 import core

    from stoflow.db import pg8000_wire

    # Installed before wrapping: the wire module replaces the very methods watched here.
    pg8000_wire.install()
    breaches: list[str] = []
    originals = {name: getattr(core.CoreConnection, name) for name in ("execute_simple", "execute_unnamed")}

    def checked(original: Callable[..., object]) -> Callable[..., object]:
        def send(self: core.CoreConnection, statement: str, *args: object, **kwargs: object) -> object:
            # A BEGIN waiting to travel in the same packet as this statement counts as sent.
            in_tx = self._transaction_status in (core.IN_TRANSACTION, core.IN_FAILED_TRANSACTION) or bool(
                getattr(self, "_stoflow_begin_pending", False)
            )
            breach = wire_breach(statement, in_tx, bool(getattr(self, "autocommit", False)))
            if breach is not None:
                breaches.append(breach)
            return original(self, statement, *args, **kwargs)

        return send

    for name, original in originals.items():
        setattr(core.CoreConnection, name, checked(original))
    yield breaches
    for name, original in originals.items():
        setattr(core.CoreConnection, name, original)
    if breaches:
        pytest.fail("statements broke the tenancy wire rules:\n" + "\n".join(sorted(set(breaches))[:30]))


@pytest.fixture(scope="session", autouse=True)
def one_connection_per_thread() -> None:
    """A thread holding a pooled connection may not take a second one from the same pool: on AWS
    the pool has one connection and the second checkout would wait for itself (checkout_guard)."""
    from stoflow.db import checkout_guard

    checkout_guard.install()


@pytest.fixture(scope="session")
def pg_admin_url() -> URL:
    given = os.environ.get("STOFLOW_TEST_DATABASE_URL")
    if given:
        return normalise_url(given)
    from infra.local import embedded

    server = embedded.start(REPO / ".stoflow-data" / "test-pg")
    return embedded.url(server)


@contextmanager
def fresh_database(pg_admin_url: URL) -> Iterator[URL]:
    """An empty database of its own, dropped afterwards."""
    name = f"stoflow_test_{os.getpid()}_{secrets.token_hex(3)}"
    # CREATE/DROP DATABASE cannot run in a transaction: the one place AUTOCOMMIT is used, on the
    # admin database, never on the application's.
    admin = create_engine(pg_admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = pg_admin_url.set(database=name)
        grants = create_engine(url, poolclass=NullPool)
        try:
            ensure_roles(grants)
        finally:
            grants.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(pg_admin_url: URL) -> Iterator[URL]:
    """The run's shared database (tests create their own tenants in it)."""
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def empty_database_url(pg_admin_url: URL) -> Iterator[URL]:
    """A database of the test's own, for whole-stack runs that migrate every tenant they find."""
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def empty_engine(empty_database_url: URL) -> Iterator[Engine]:
    """An engine on a database of the test's own, nothing migrated (migration round trips)."""
    eng = build_engine(empty_database_url)
    yield eng
    eng.dispose()


def as_role(url: URL, role: str) -> URL:
    """The same database, logged in as one of the application's roles (stoflow.db.roles)."""
    return url.set(username=role, password=None)


@pytest.fixture(scope="session")
def migrator_engine(database_url: URL) -> Iterator[Engine]:
    """The run's database as the migrator role, the schema's owner, which migrates it (shared
    schemas) as on AWS. Tests that make or migrate schemas the way migrations do, then hand them to
    code that logs in as a role (the CLI, functions), do it with this engine."""
    eng = build_engine(as_role(database_url, MIGRATOR_ROLE), pool_size=4, max_overflow=4)
    migrate_shared(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def engine(database_url: URL, migrator_engine: Engine) -> Iterator[Engine]:
    """The run's engine for the tests' own set-up and checks (a pool for their threads, as the
    administrator), on the migrated database. What the code under test gets from get_engine() is
    `container_engine`: the application role, which may not run DDL."""
    eng = build_engine(database_url, pool_size=8, max_overflow=8)
    os.environ["DATABASE_URL"] = as_role(database_url, APP_ROLE).render_as_string(hide_password=False)
    runtime.reset()
    yield eng
    runtime.reset()
    eng.dispose()


@pytest.fixture
def container_engine(engine: Engine) -> Engine:
    """The engine handlers and services get from get_engine(): built by stoflow.runtime from the
    settings exactly as in a deployed container (one connection, no overflow; see the pool
    contract test)."""
    return get_engine()


_tenant_ids = itertools.count(1000)


def new_tenant_id() -> int:
    """A tenant id no other test of this run uses (tests share one database)."""
    return next(_tenant_ids)


@pytest.fixture
def make_tenant(engine: Engine) -> Callable[[], int]:
    """Create a fresh tenant schema at head and return its id."""

    def make() -> int:
        tenant_id = new_tenant_id()
        create_tenant(tenant_id, engine=engine)
        return tenant_id

    return make


def url_string(url: URL | str) -> str:
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=False)
