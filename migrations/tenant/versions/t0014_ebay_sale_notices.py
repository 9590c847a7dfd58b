"""ebay_credentials: the state of the seller's eBay sale notices

Revision ID: t0014
Revises: t0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "t0014"
down_revision = "t0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ebay_credentials", sa.Column("sale_notices", sa.String(16)), schema=tenant_schema())


def downgrade() -> None:
    op.drop_column("ebay_credentials", "sale_notices", schema=tenant_schema())
