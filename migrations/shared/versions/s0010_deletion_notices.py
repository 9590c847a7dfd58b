"""deletion_notices: marketplace account deletion notices, processed in batches over the tenants

Revision ID: s0010
Revises: s0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "s0010"
down_revision = "s0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deletion_notices",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("notification_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("username", sa.String(128)),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_deletion_notices"),
        sa.UniqueConstraint("marketplace", "notification_id", name="uq_deletion_notices_notification"),
        schema="public",
    )
    op.create_index("ix_deletion_notices_pending", "deletion_notices", ["processed_at", "id"], schema="public")


def downgrade() -> None:
    op.drop_table("deletion_notices", schema="public")
