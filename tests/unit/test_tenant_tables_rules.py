"""Tenant schemas stay self-contained: dump, restore or drop one tenant without touching public."""

from stoflow.models.base import CATALOG, TENANT, tenant_tables


def test_tenant_tables_reference_only_their_schema_and_the_catalogues():
    tables = tenant_tables()
    assert {t.name for t in tables} >= {"products", "product_images", "marketplace_jobs"}
    outside = [
        f"{table.name}.{fk.parent.name} -> {fk.target_fullname}"
        for table in tables
        for fk in table.foreign_keys
        if fk.column.table.schema not in (TENANT, CATALOG)
    ]
    assert outside == []
