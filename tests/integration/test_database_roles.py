"""The privilege split on real PostgreSQL: what the functions log in as may read and write rows and
nothing more; DDL belongs to the migrator, and tenant schemas come only from its provisioning
functions (stoflow.db.roles, stoflow.db.provisioning)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.deps import TenantDb
from stoflow.api.routing import api_router
from stoflow.availability import sqlstate
from stoflow.db.engine import build_engine, get_engine
from stoflow.db.roles import APP_ROLE, MIGRATOR_ROLE, ensure_roles
from stoflow.db.tenancy import schema_for
from stoflow.models import Product
from tests.conftest import as_role, new_tenant_id
from tests.support.api import Reply, http_event, register_and_login

PERMISSION_DENIED = "42501"


def refused(statement: str, *params: Any) -> str | None:
    """The SQLSTATE the application role's engine gets for `statement` (None: it ran)."""
    try:
        with get_engine().begin() as connection:
            connection.execute(text(statement), *params)
    except DBAPIError as exc:
        return sqlstate(exc.orig)
    return None


def test_functions_log_in_as_the_application_role(container_engine):
    with container_engine.begin() as connection:
        assert connection.scalar(text("SELECT current_user")) == APP_ROLE


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE public.intruder (id int)",
        "CREATE SCHEMA intruder",
        "CREATE TEMPORARY TABLE intruder (id int)",
        "ALTER TABLE public.users ADD COLUMN intruder int",
        "DROP TABLE public.tenants",
        "TRUNCATE public.users",
        "CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    ],
)
def test_the_application_role_runs_no_ddl(container_engine, statement):
    assert refused(statement) == PERMISSION_DENIED


def test_nor_in_a_tenant_schema(container_engine, make_tenant):
    schema = schema_for(make_tenant())
    assert refused(f"CREATE TABLE {schema}.intruder (id int)") == PERMISSION_DENIED
    assert refused(f"DROP TABLE {schema}.products") == PERMISSION_DENIED
    assert refused(f"DROP SCHEMA {schema} CASCADE") == PERMISSION_DENIED


def test_it_cannot_provision_an_unregistered_tenant_nor_drop_a_registered_one(container_engine, make_tenant):
    stray = new_tenant_id()
    with pytest.raises(DBAPIError, match="not registered"), container_engine.begin() as connection:
        connection.execute(select(func.public.stoflow_provision_tenant(stray)))
    registered = make_tenant()
    with pytest.raises(DBAPIError, match="still registered"), container_engine.begin() as connection:
        connection.execute(select(func.public.stoflow_drop_tenant(registered)))


def test_it_reads_a_tenants_live_dashboards_through_their_function(container_engine):
    from stoflow.repositories.live_dashboards import dashboards_column

    # What the worker's claim and finish return beside the job: granted to the application role.
    with container_engine.begin() as connection:
        assert connection.scalar(select(dashboards_column()), {"dashboards_of": new_tenant_id()}) is None


def test_tenant_schemas_made_at_request_time_belong_to_the_migrator(identity, engine):
    # POST /auth/register creates the tenant schema through the provisioning function.
    account = register_and_login()
    schema = schema_for(account["id"])
    with engine.begin() as connection:
        owner = connection.scalar(
            text("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = :s"), {"s": schema}
        )
        tables = connection.scalars(
            text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).all()
    assert owner == MIGRATOR_ROLE
    assert tables == [MIGRATOR_ROLE]


ddl_router = api_router(tags=["test"])


@ddl_router.post("/intrude")
def intrude(db: TenantDb) -> dict[str, Any]:
    # What a route would do to change the schema: its own tenant's, translated as any statement.
    intruder = Table("intruder", MetaData(), Column("id", Integer), schema="tenant")
    try:
        with db.begin_nested():  # a savepoint: the refusal must not fail the request's transaction
            db.execute(CreateTable(intruder))
    except DBAPIError as exc:
        return {"sqlstate": sqlstate(exc.orig)}
    return {"sqlstate": None}


def test_a_route_cannot_run_ddl(identity, engine):
    account = register_and_login()
    handler = lambda_handler(create_app([ddl_router], title="ddl"))
    reply = Reply(handler(http_event("POST", "/intrude", token=account["access_token"]), None))
    assert reply.status == 200, reply
    assert reply.json == {"sqlstate": PERMISSION_DENIED}
    with engine.begin() as connection:
        assert connection.scalar(select(func.to_regclass(f"{schema_for(account['id'])}.intruder"))) is None
        # ...while rows are its to write.
        assert connection.scalar(
            select(func.has_table_privilege(APP_ROLE, f"{schema_for(account['id'])}.{Product.__tablename__}", "INSERT"))
        )


def test_roles_are_ensured_idempotently_on_a_server_that_already_has_them(engine):
    # Another database of the server (every test database) created them already: no error, no change.
    ensure_roles(engine)
    ensure_roles(engine)
    with engine.begin() as connection:
        query = text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r) ORDER BY rolname")
        found = connection.scalars(query, {"r": [APP_ROLE, MIGRATOR_ROLE]}).all()
    assert found == sorted([APP_ROLE, MIGRATOR_ROLE])


def test_a_password_provider_is_asked_only_when_a_connection_opens(database_url):
    # As an IAM token is: the pooled connection is reused without asking, a new one asks again.
    asked: list[int] = []
    eng = build_engine(as_role(database_url, APP_ROLE), password=lambda: asked.append(1) or "token")
    try:
        for _ in range(3):
            with eng.begin() as connection:
                connection.execute(text("SELECT 1"))
        assert len(asked) == 1
        with eng.connect() as connection:
            connection.invalidate()
        with eng.begin() as connection:
            connection.execute(text("SELECT 1"))
        assert len(asked) == 2
    finally:
        eng.dispose()
