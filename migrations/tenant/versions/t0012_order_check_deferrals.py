"""order checks: when the app's call budget last deferred a marketplace's check (shown with it)

Revision ID: t0012
Revises: t0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "t0012"
down_revision = "t0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("order_checks", sa.Column("deferred_at", sa.DateTime(timezone=True)), schema=tenant_schema())


def downgrade() -> None:
    op.drop_column("order_checks", "deferred_at", schema=tenant_schema())
