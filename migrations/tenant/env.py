"""Alembic environment. Migrations are run by `stoflow db ...` (stoflow.db.migrations), which builds
the migration context itself (per tenant schema, with schema_translate_map); this file exists so
that Alembic can load the script directory, and refuses to run migrations directly."""

raise SystemExit("Run migrations with `stoflow db upgrade|downgrade|status`, not the alembic command.")
