"""oauth states: marketplace authorization requests in flight (public.oauth_states)

Revision ID: s0005
Revises: s0004
Create Date: 2026-11-22

Shared (public): the callback finds the state before anything else is known about the request,
and expired rows are swept by one scheduled statement instead of one per tenant schema.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("code_verifier_enc", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_oauth_states"),
        schema="public",
    )
    op.create_index("ix_oauth_states_expires_at", "oauth_states", ["expires_at"], schema="public")


def downgrade() -> None:
    op.drop_index("ix_oauth_states_expires_at", table_name="oauth_states", schema="public")
    op.drop_table("oauth_states", schema="public")
