"""sales: when a sale became final and the listings it hid were deleted

Revision ID: t0013
Revises: t0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "t0013"
down_revision = "t0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sales", sa.Column("final_at", sa.DateTime(timezone=True)), schema=tenant_schema())


def downgrade() -> None:
    op.drop_column("sales", "final_at", schema=tenant_schema())
