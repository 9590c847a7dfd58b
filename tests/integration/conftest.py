from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from stoflow.db.engine import build_engine
from tests.integration import pgbouncer


@pytest.fixture(scope="session")
def pgbouncer_url(database_url: URL, engine: Engine) -> Iterator[URL]:
    try:
        pgbouncer.binary()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with pgbouncer.running(database_url) as url:
        yield url


@pytest.fixture(params=["direct", "pgbouncer"])
def route(request: pytest.FixtureRequest, database_url: URL) -> URL:
    """The database reached directly, or through PgBouncer in transaction pooling mode."""
    if request.param == "pgbouncer":
        return request.getfixturevalue("pgbouncer_url")
    return database_url


@pytest.fixture
def route_engine(route: URL, engine: Engine) -> Iterator[Engine]:
    eng = build_engine(route, pool_size=16, max_overflow=0)
    yield eng
    eng.dispose()
