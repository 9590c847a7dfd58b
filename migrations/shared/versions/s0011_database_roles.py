"""database roles: the application role reads and writes rows of what the migrator creates

The migrator (the role running this) owns every schema and table; the application role
(stoflow.db.roles.APP_ROLE) gets row rights on what exists now and, by default privileges, on
what the migrator creates later (tables added by migrations, tenant schemas made by the
provisioning function). It is given no CREATE anywhere. Run `stoflow db roles` (or the
migrator's bootstrap-roles) first: the role must exist.

Revision ID: s0011
Revises: s0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from stoflow.db.roles import APP_ROLE

revision = "s0011"
down_revision = "s0010"
branch_labels = None
depends_on = None

_ROWS = "SELECT, INSERT, UPDATE, DELETE"


def _schemas() -> list[str]:
    tenants = op.get_bind().scalars(sa.text("SELECT schema_name FROM public.tenants ORDER BY id"))
    return ["public", "product_attributes", *tenants]


def _check_role_exists() -> None:
    if not op.get_bind().scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}):
        raise RuntimeError(
            f"database role {APP_ROLE} does not exist: create the roles first "
            "(`stoflow db roles` as an administrator, or the migrator's bootstrap-roles action)"
        )


def upgrade() -> None:
    _check_role_exists()
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT {_ROWS} ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO {APP_ROLE}")
    # Functions are callable by everyone by default: ours are granted one by one.
    op.execute("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
    for schema in _schemas():
        op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE}')
        op.execute(f'GRANT {_ROWS} ON ALL TABLES IN SCHEMA "{schema}" TO {APP_ROLE}')
        op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {APP_ROLE}')


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS public.stoflow_provision_tenant(integer)")
    op.execute("DROP FUNCTION IF EXISTS public.stoflow_drop_tenant(integer)")
    op.execute("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC")
    op.execute(f"ALTER DEFAULT PRIVILEGES REVOKE USAGE ON SCHEMAS FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES REVOKE {_ROWS} ON TABLES FROM {APP_ROLE}")
    for schema in _schemas():
        op.execute(f'REVOKE USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {APP_ROLE}')
        op.execute(f'REVOKE {_ROWS} ON ALL TABLES IN SCHEMA "{schema}" FROM {APP_ROLE}')
        op.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {APP_ROLE}')
