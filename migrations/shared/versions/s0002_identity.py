"""identity: refresh tokens, revocations, rate limits, email verification, tiers and quotas

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-22
"""

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
