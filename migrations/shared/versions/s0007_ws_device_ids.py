"""websocket: the paired device behind each extension ticket and connection

Revision ID: s0007
Revises: s0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ws_tickets", sa.Column("device_id", sa.BigInteger), schema="public")
    op.add_column("ws_connections", sa.Column("device_id", sa.BigInteger), schema="public")


def downgrade() -> None:
    op.drop_column("ws_connections", "device_id", schema="public")
    op.drop_column("ws_tickets", "device_id", schema="public")
