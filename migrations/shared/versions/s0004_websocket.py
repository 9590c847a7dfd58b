"""websocket: single-use connection tickets and live connections (public.ws_tickets, ws_connections)

Revision ID: s0004
Revises: s0003
Create Date: 2026-11-22

Both tables are shared (public): $connect and the @connections senders look rows up by ticket or
connection id before any tenant is known, and a tenant's schema stays free of gateway state.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None

CLIENTS = "client IN ('extension', 'dashboard')"


def upgrade() -> None:
    op.create_table(
        "ws_tickets",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        # SHA-256 of the ticket: the ticket travels in a URL (and may land in a log), the table never
        # holds anything that opens a connection.
        sa.Column("ticket_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("client", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ws_tickets"),
        sa.UniqueConstraint("ticket_hash", name="uq_ws_tickets_ticket_hash"),
        sa.CheckConstraint(CLIENTS, name="ck_ws_tickets_client"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name="fk_ws_tickets_user_id_users", ondelete="CASCADE"
        ),
        schema="public",
    )
    # The purge deletes by expiry.
    op.create_index("ix_ws_tickets_expires_at", "ws_tickets", ["expires_at"], schema="public")
    op.create_table(
        "ws_connections",
        # API Gateway's connectionId (base64-ish, about 16 characters; room to spare).
        sa.Column("connection_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("client", sa.String(16), nullable=False),
        sa.Column("client_version", sa.String(32), nullable=True),
        sa.Column("capabilities", sa.dialects.postgresql.JSONB, nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("connection_id", name="pk_ws_connections"),
        sa.CheckConstraint(CLIENTS, name="ck_ws_connections_client"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name="fk_ws_connections_user_id_users", ondelete="CASCADE"
        ),
        schema="public",
    )
    # Every push asks "the dashboard (or extension) connections of tenant N".
    op.create_index("ix_ws_connections_tenant_id_client", "ws_connections", ["tenant_id", "client"], schema="public")


def downgrade() -> None:
    op.drop_table("ws_connections", schema="public")
    op.drop_table("ws_tickets", schema="public")
