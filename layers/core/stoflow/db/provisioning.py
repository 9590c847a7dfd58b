"""Tenant provisioning: a schema at the current head, stamped and registered in one transaction.

Part of the tenancy core (db/): the schema's name, its options and its creation live together.

Registration happens at request time, but the API's database role may not run DDL (db/roles).
So the DDL lives in two SECURITY DEFINER functions owned by the migrator, which the API role may
only EXECUTE:

- `public.stoflow_provision_tenant(id)` creates `user_<id>` with the head tables and stamps its
  version table. Its body is the head DDL rendered from the models (a test proves it gives the
  same schema as replaying every revision), written by the migrator at each upgrade to head
  (`install_provisioning`), so it always creates what the migrated code expects. It refuses a
  tenant that is not registered in the same transaction: the API cannot make stray schemas.
- `public.stoflow_drop_tenant(id)` drops `user_<id>`, and only once the tenant is unregistered.

Neither takes SQL or a name from its caller: an integer in, a schema name built from it inside.
Every name in them is schema-qualified, so nothing the caller could put on its path is used.
Dropping is explicit: the caller must repeat the schema name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable

from stoflow.availability import sqlstate
from stoflow.db.engine import get_engine
from stoflow.db.migrations import head_revision
from stoflow.db.tenancy import TENANT_PLACEHOLDER, known_tenants, schema_for, validate_tenant_id
from stoflow.errors import Conflict, InvalidInput, TenantExists, TenantNotFound
from stoflow.models.base import tenant_tables
from stoflow.repositories import account_owners, due_work
from stoflow.repositories import tenants as registry
from stoflow.repositories.tenants import TenantRow

# Alembic's own version table, as Alembic creates it, in the placeholder schema.
_version_table = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    schema=TENANT_PLACEHOLDER,
)

# The schema the head DDL is rendered into, replaced by `user_<id>` inside the function.
_TOKEN = "stoflow_new_tenant_schema"  # noqa: S105 - a schema name, not a secret
_QUOTE = "$ddl$"
_DUPLICATE_SCHEMA = "42P06"


@lru_cache(maxsize=1)
def _head_ddl() -> tuple[Any, ...]:
    statements: list[Any] = [CreateTable(_version_table)]
    for table in tenant_tables():
        statements.append(CreateTable(table))
        statements.extend(CreateIndex(index) for index in sorted(table.indexes, key=lambda i: i.name or ""))
    return tuple(statements)


def _rendered_head_ddl() -> list[str]:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    rendered = []
    for statement in _head_ddl():
        sql = str(
            statement.compile(
                dialect=dialect, schema_translate_map={TENANT_PLACEHOLDER: _TOKEN}, render_schema_translate=True
            )
        ).strip()
        if _QUOTE in sql:
            raise ValueError(f"tenant DDL contains the quoting tag {_QUOTE}")
        rendered.append(sql)
    return rendered


def provisioning_functions(app_role: str) -> list[str]:
    """The statements that (re)install both functions for this code's tenant head."""
    head = head_revision("tenant")
    if head is None or not head.isalnum():
        raise ValueError(f"unexpected tenant head revision {head!r}")
    steps = "\n".join(
        f"  EXECUTE pg_catalog.replace({_QUOTE}{sql}{_QUOTE}, '{_TOKEN}.', target || '.');"
        for sql in _rendered_head_ddl()
    )
    checks = """
  IF tenant_id IS NULL OR tenant_id < 1 THEN
    RAISE EXCEPTION 'invalid tenant id %', tenant_id USING ERRCODE = '22023';
  END IF;
  target := 'user_' || tenant_id::text;"""
    provision = f"""CREATE OR REPLACE FUNCTION public.stoflow_provision_tenant(tenant_id integer) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
  target text;
BEGIN{checks}
  IF NOT EXISTS (SELECT 1 FROM public.tenants AS t WHERE t.id = tenant_id) THEN
    RAISE EXCEPTION 'tenant % is not registered', tenant_id USING ERRCODE = '22023';
  END IF;
  EXECUTE 'CREATE SCHEMA ' || target;
{steps}
  EXECUTE 'INSERT INTO ' || target || '.alembic_version (version_num) VALUES (''{head}'')';
  RETURN target;
END
$fn$"""
    drop = f"""CREATE OR REPLACE FUNCTION public.stoflow_drop_tenant(tenant_id integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
  target text;
BEGIN{checks}
  IF EXISTS (SELECT 1 FROM public.tenants AS t WHERE t.id = tenant_id) THEN
    RAISE EXCEPTION 'tenant % is still registered', tenant_id USING ERRCODE = '22023';
  END IF;
  EXECUTE 'DROP SCHEMA IF EXISTS ' || target || ' CASCADE';
END
$fn$"""
    statements = [provision, drop]
    for signature in ("stoflow_provision_tenant(integer)", "stoflow_drop_tenant(integer)"):
        statements.append(f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC")
        statements.append(f"GRANT EXECUTE ON FUNCTION public.{signature} TO {app_role}")
    return statements


def install_provisioning(connection: Connection) -> None:
    """Write both functions for this code's tenant head, in the caller's (migrator's) transaction."""
    from stoflow.db.roles import APP_ROLE

    for statement in provisioning_functions(APP_ROLE):
        connection.execute(text(statement))


def provision(connection: Connection, tenant_id: object) -> str:
    """Create, stamp and register a tenant schema on `connection`, inside the caller's transaction."""
    tid = validate_tenant_id(tenant_id)
    schema = schema_for(tid)
    # No savepoints: on error the caller's whole transaction is rolled back anyway.
    try:
        registry.register(connection, tid, schema)
    except IntegrityError as exc:
        raise TenantExists(f"tenant {tid} is already registered") from exc
    try:
        created = connection.scalar(select(func.public.stoflow_provision_tenant(tid)))
    except DBAPIError as exc:
        if sqlstate(exc.orig) != _DUPLICATE_SCHEMA:
            raise
        raise Conflict(
            f"schema {schema} exists but is not registered; inspect and drop it by hand",
            code="orphan_schema",
        ) from exc
    assert created == schema, (created, schema)
    return schema


def create_tenant(tenant_id: object, *, engine: Engine | None = None) -> str:
    with (engine or get_engine()).begin() as connection:
        return provision(connection, tenant_id)


def drop_tenant(tenant_id: object, *, confirm: str, engine: Engine | None = None) -> None:
    """Drop a tenant's schema and every row in it. Never automatic: `confirm` must be its schema name."""
    tid = validate_tenant_id(tenant_id)
    schema = schema_for(tid)
    if confirm != schema:
        raise InvalidInput(f"confirm with the schema name {schema!r} to drop tenant {tid}", code="not_confirmed")
    with (engine or get_engine()).begin() as connection:
        drop_in(connection, tid)
    known_tenants.forget(tid)


def drop_in(connection: Connection, tenant_id: int) -> None:
    """Unregister the tenant and drop its schema in the caller's transaction (account deletion
    does it with the user's own rows). The caller forgets it in `known_tenants` after commit."""
    tid = validate_tenant_id(tenant_id)
    if not registry.unregister(connection, tid):
        raise TenantNotFound(f"tenant {tid} is not registered")
    due_work.forget_tenant(connection, tid)
    account_owners.forget_tenant(connection, tid)
    connection.execute(select(func.public.stoflow_drop_tenant(tid)))


def list_tenants(*, engine: Engine | None = None) -> list[TenantRow]:
    with (engine or get_engine()).begin() as connection:
        return registry.list_all(connection)
