"""Queries, one module per aggregate. No HTTP and no marketplace: a marketplace's own tables are
queried in its adapter, or passed in (models) by it."""
