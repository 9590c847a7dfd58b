"""extension devices: pairing codes and paired browser extensions (public.extension_pairing_codes,
public.extension_devices)

Revision ID: s0006
Revises: s0005
Create Date: 2026-11-22

Shared (public): POST /extension/pair finds a code before any tenant is known, and a device is an
auth session (public.auth_sessions) with a name, so revoking it revokes its tokens.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extension_devices",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        # The device's refresh-token family: revoking the device revokes this session.
        sa.Column("session_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("version", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_extension_devices"),
        sa.UniqueConstraint("session_id", name="uq_extension_devices_session_id"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name="fk_extension_devices_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["public.auth_sessions.id"],
            name="fk_extension_devices_session_id_auth_sessions",
            ondelete="CASCADE",
        ),
        schema="public",
    )
    op.create_index("ix_extension_devices_tenant_id", "extension_devices", ["tenant_id"], schema="public")
    op.create_table(
        "extension_pairing_codes",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        # SHA-256 of the code: the table never holds a usable code.
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_extension_pairing_codes"),
        sa.UniqueConstraint("code_hash", name="uq_extension_pairing_codes_code_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name="fk_extension_pairing_codes_user_id_users", ondelete="CASCADE"
        ),
        schema="public",
    )
    op.create_index("ix_extension_pairing_codes_expires_at", "extension_pairing_codes", ["expires_at"], schema="public")


def downgrade() -> None:
    op.drop_table("extension_pairing_codes", schema="public")
    op.drop_table("extension_devices", schema="public")
