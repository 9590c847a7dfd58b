"""marketplace account owners: which tenant a marketplace account's notices are for

Revision ID: s0016
Revises: s0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "s0016"
down_revision = "s0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The app role reads and writes it through the default privileges of s0011.
    op.create_table(
        "marketplace_account_owners",
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("marketplace", "account_id", "tenant_id", name="pk_marketplace_account_owners"),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("marketplace_account_owners", schema="public")
