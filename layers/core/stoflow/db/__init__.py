"""Database access: engine, tenancy, migrations."""
