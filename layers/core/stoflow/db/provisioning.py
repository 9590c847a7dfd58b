"""Tenant provisioning: a schema at the current head, stamped and registered in one transaction.

Part of the tenancy core (db/): the schema's name, its options and its creation live together.

The fast path creates the head tables directly from the models instead of replaying every
revision (a test proves both give the same schema), then stamps the schema's own version table.
Dropping is explicit: the caller must repeat the schema name.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.schema import CreateIndex, CreateSchema, CreateTable, DropSchema

from stoflow.db.engine import get_engine
from stoflow.db.guard import TENANT_SCHEMA_OPTION
from stoflow.db.migrations import head_revision
from stoflow.db.tenancy import TENANT_PLACEHOLDER, known_tenants, schema_for, tenant_options, validate_tenant_id
from stoflow.errors import Conflict, InvalidInput, TenantExists, TenantNotFound
from stoflow.models.base import tenant_tables
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


@lru_cache(maxsize=1)
def _head_ddl() -> tuple[Any, ...]:
    statements: list[Any] = [CreateTable(_version_table)]
    for table in tenant_tables():
        statements.append(CreateTable(table))
        statements.extend(CreateIndex(index) for index in sorted(table.indexes, key=lambda i: i.name or ""))
    return tuple(statements)


def provision(connection: Connection, tenant_id: object) -> str:
    """Create, stamp and register a tenant schema on `connection`, inside the caller's transaction."""
    tid = validate_tenant_id(tenant_id)
    schema = schema_for(tid)
    options = tenant_options(schema)
    # No savepoints: on error the caller's whole transaction is rolled back anyway.
    try:
        registry.register(connection, tid, schema)
    except IntegrityError as exc:
        raise TenantExists(f"tenant {tid} is already registered") from exc
    try:
        connection.execute(CreateSchema(schema), execution_options=options)
    except ProgrammingError as exc:
        raise Conflict(
            f"schema {schema} exists but is not registered; inspect and drop it by hand",
            code="orphan_schema",
        ) from exc
    for statement in _head_ddl():
        connection.execute(statement, execution_options=options)
    connection.execute(_version_table.insert().values(version_num=head_revision("tenant")), execution_options=options)
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
    schema = schema_for(tid)
    if not registry.unregister(connection, tid):
        raise TenantNotFound(f"tenant {tid} is not registered")
    connection.execute(
        DropSchema(schema, cascade=True, if_exists=True),
        execution_options={TENANT_SCHEMA_OPTION: schema},
    )


def list_tenants(*, engine: Engine | None = None) -> list[TenantRow]:
    with (engine or get_engine()).begin() as connection:
        return registry.list_all(connection)
