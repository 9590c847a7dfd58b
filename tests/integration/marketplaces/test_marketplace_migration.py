"""t0007 (eBay and Etsy tables) downgrades and upgrades again on a tenant schema."""

from __future__ import annotations

from sqlalchemy import inspect

from stoflow.db.migrations import migrate_tenant_schema
from stoflow.db.provisioning import create_tenant
from stoflow.db.tenancy import schema_for
from tests.conftest import new_tenant_id

TABLES = {"ebay_credentials", "ebay_products", "ebay_orders", "etsy_credentials", "etsy_products", "etsy_orders"}


def test_t0007_round_trip(engine):
    tenant = new_tenant_id()
    create_tenant(tenant, engine=engine)
    schema = schema_for(tenant)

    def tables():
        return set(inspect(engine).get_table_names(schema=schema))

    assert tables() >= TABLES
    migrate_tenant_schema(engine, tenant, "downgrade", "t0006")
    assert not (tables() & TABLES) and "products" in tables()
    migrate_tenant_schema(engine, tenant, "upgrade", "head")
    assert tables() >= TABLES
