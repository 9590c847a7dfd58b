"""websocket: the auth session behind each ticket and connection (tickets and sockets die with it)

Revision ID: s0009
Revises: s0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "s0009"
down_revision = "s0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ws_tickets", sa.Column("session_id", sa.Uuid), schema="public")
    op.add_column("ws_connections", sa.Column("session_id", sa.Uuid), schema="public")
    op.create_index("ix_ws_connections_session_id", "ws_connections", ["session_id"], schema="public")


def downgrade() -> None:
    op.drop_index("ix_ws_connections_session_id", table_name="ws_connections", schema="public")
    op.drop_column("ws_connections", "session_id", schema="public")
    op.drop_column("ws_tickets", "session_id", schema="public")
