"""The fast path (head tables from the models) and the revisions (every tenant revision from base)
must build the same tenant schema: a new tenant is stamped at head without running revisions."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.schema import CreateSchema

from stoflow.db.migrations import migrate_tenant_schema
from stoflow.db.provisioning import create_tenant, drop_tenant
from stoflow.db.tenancy import schema_for
from stoflow.repositories import tenants as registry

_ids = itertools.count(770000)


@pytest.fixture
def tenant_ids(engine: Engine) -> Iterator[Callable[..., int]]:
    """Tenant ids for this test, dropped after it: a schema built by hand here has none of the
    application role's grants, and would break any later walk over every tenant."""
    made: list[int] = []
    built_by_hand: set[int] = set()

    def take(*, by_hand: bool = False) -> int:
        made.append(next(_ids))
        if by_hand:
            built_by_hand.add(made[-1])
        return made[-1]

    yield take
    for tenant in made:
        if tenant in built_by_hand:  # this role owns the schema: it drops it itself
            with engine.begin() as connection:
                registry.unregister(connection, tenant)
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema_for(tenant)} CASCADE"))
        else:
            drop_tenant(tenant, confirm=schema_for(tenant), engine=engine)


COLUMNS = """
SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
       character_maximum_length, numeric_precision, numeric_scale, is_identity
FROM information_schema.columns WHERE table_schema = :schema
"""
CONSTRAINTS = """
SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype,
       pg_get_constraintdef(c.oid) AS definition
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = :schema
"""
INDEXES = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :schema"


def catalog(engine: Engine, schema: str) -> dict[str, set[tuple]]:
    """The schema as PostgreSQL describes it, with the schema name taken out of every text."""

    def rows(sql: str) -> set[tuple]:
        with engine.connect() as connection, connection.begin():
            result = connection.execute(text(sql), {"schema": schema})
            return {
                tuple(str(v).replace(f"{schema}.", "<schema>.") if v is not None else None for v in row)
                for row in result
            }

    return {"columns": rows(COLUMNS), "constraints": rows(CONSTRAINTS), "indexes": rows(INDEXES)}


def test_fast_path_equals_every_revision_from_base(engine: Engine, tenant_ids: Callable[..., int]) -> None:
    fast, replayed = tenant_ids(), tenant_ids(by_hand=True)
    create_tenant(fast, engine=engine)
    with engine.begin() as connection:
        registry.register(connection, replayed, schema_for(replayed))
        connection.execute(CreateSchema(schema_for(replayed)))
    migrate_tenant_schema(engine, replayed, "upgrade", "head")

    from_models = catalog(engine, schema_for(fast))
    from_revisions = catalog(engine, schema_for(replayed))
    assert from_models["columns"], "the fast path created no tables"
    for part in ("columns", "constraints", "indexes"):
        assert from_models[part] == from_revisions[part], (
            f"{part} differ\nonly in models: {sorted(from_models[part] - from_revisions[part])}"
            f"\nonly in revisions: {sorted(from_revisions[part] - from_models[part])}"
        )


def test_the_catalog_comparison_sees_a_difference(engine: Engine, tenant_ids: Callable[..., int]) -> None:
    """The comparison above would catch a missing index (the test can fail)."""
    tenant = tenant_ids()
    create_tenant(tenant, engine=engine)
    before = catalog(engine, schema_for(tenant))
    with engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {schema_for(tenant)}.ix_products_status"))
    assert catalog(engine, schema_for(tenant))["indexes"] != before["indexes"]
