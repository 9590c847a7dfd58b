"""The database pool the code runs with locally and in tests is the one it runs with on AWS.

A Lambda container serves one request at a time with one connection (pool of one, no overflow).
Code that needs a second connection while it holds one passes every test run with a bigger pool
and fails on every deployed request; so the template, the settings, the local cloud and the tests'
container engine must agree, and this file is where they are compared.
"""

from __future__ import annotations

import pytest
from sqlalchemy.pool import QueuePool

from infra.local.functions import Containers, FunctionRuntime
from infra.local.template import load_template
from stoflow.config import Settings
from stoflow.db.engine import engine_from_settings, get_engine
from stoflow.db.roles import APP_ROLE

POOL_VARIABLES = ("STOFLOW_DATABASE_POOL_SIZE", "STOFLOW_DATABASE_MAX_OVERFLOW")
TEMPLATE = load_template()


def pool_of(engine) -> tuple[int, int]:
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.size(), pool._max_overflow


def test_the_deployed_pool_is_one_connection_without_overflow():
    settings = Settings(database_url="postgresql://user@db.invalid/stoflow")
    engine = engine_from_settings(settings)
    try:
        assert pool_of(engine) == (1, 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("function", TEMPLATE.functions, ids=lambda f: f.logical_id)
def test_no_function_overrides_the_pool_in_the_template(function):
    # Globals included: a function given a bigger pool on AWS would differ from every local run.
    assert not set(POOL_VARIABLES) & set(function.environment), function.environment


def test_the_local_cloud_gives_each_container_the_deployed_pool(engine):
    runtime = FunctionRuntime(TEMPLATE.functions)
    try:
        with runtime.containers.serving("ProductsFunction"):
            container = get_engine()
            assert container is not engine
            assert pool_of(container) == (1, 0)
            # The same database, reached as the functions' own role (the tests' engine is the administrator).
            assert (container.url.host, container.url.port, container.url.database) == (
                engine.url.host,
                engine.url.port,
                engine.url.database,
            )
            assert container.url.username == APP_ROLE
        with runtime.containers.serving("ProductsFunction"):
            assert get_engine() is container, "an idle container is reused, as a warm Lambda"
            with runtime.containers.serving("ProductsFunction"):
                assert get_engine() is not container, "a concurrent invocation gets a container of its own"
        with runtime.containers.serving("JobsFunction"):
            assert get_engine() is not container, "functions never share a container"
    finally:
        runtime.stop()


def test_handlers_under_test_get_the_deployed_pool(container_engine, engine):
    assert container_engine is not engine
    assert pool_of(container_engine) == (1, 0)


def test_containers_build_no_engine_for_a_function_that_never_asks():
    containers = Containers(make_engine=lambda: pytest.fail("no engine should be built"))
    with containers.serving("HealthFunction"):
        pass
    assert containers.engines() == []
