"""marketplace calls: the app's calls to each marketplace by hour and kind (per-app limits)

Revision ID: s0015
Revises: s0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "s0015"
down_revision = "s0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The app role reads and writes it through the default privileges of s0011.
    op.create_table(
        "marketplace_calls",
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("calls", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("base_calls", sa.Float, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("marketplace", "hour", "kind", name="pk_marketplace_calls"),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("marketplace_calls", schema="public")
