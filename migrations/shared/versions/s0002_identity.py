"""identity: refresh tokens, revocations, rate limits, email verification, tiers and quotas

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None

# tier, max products (None: unlimited), AI credits per month, display order
TIERS = [
    ("FREE", 30, 10, 1),
    ("STARTER", 200, 100, 2),
    ("PRO", 500, 500, 3),
    ("ENTERPRISE", None, 5000, 4),
]


def _now() -> sa.sql.elements.ColumnElement:
    return sa.func.now()


def upgrade() -> None:
    quotas = op.create_table(
        "subscription_quotas",
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("max_products", sa.Integer, nullable=True),
        sa.Column("ai_credits_monthly", sa.Integer, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("tier", name="pk_subscription_quotas"),
        schema="public",
    )
    op.bulk_insert(
        quotas,
        [
            {"tier": tier, "max_products": products, "ai_credits_monthly": credits, "position": position}
            for tier, products, credits, position in TIERS
        ],
    )
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True), schema="public")
    op.add_column("users", sa.Column("tier", sa.String(16), server_default="FREE", nullable=False), schema="public")
    op.create_foreign_key(
        "fk_users_tier_subscription_quotas",
        "users",
        "subscription_quotas",
        ["tier"],
        ["tier"],
        source_schema="public",
        referent_schema="public",
    )
    op.create_table(
        "ai_credits",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("used", sa.Integer, server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("user_id", "period_start", name="pk_ai_credits"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name="fk_ai_credits_user_id_users", ondelete="CASCADE"
        ),
        schema="public",
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name="fk_auth_sessions_user_id_users", ondelete="CASCADE"
        ),
        schema="public",
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"], schema="public")
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("session_id", sa.Uuid, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["public.auth_sessions.id"],
            name="fk_refresh_tokens_session_id_auth_sessions",
            ondelete="CASCADE",
        ),
        schema="public",
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"], schema="public")
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_limit_buckets"),
        schema="public",
    )
    op.create_table(
        "email_verification_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_email_verification_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_email_verification_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.users.id"],
            name="fk_email_verification_tokens_user_id_users",
            ondelete="CASCADE",
        ),
        schema="public",
    )
    op.create_index("ix_email_verification_tokens_user_id", "email_verification_tokens", ["user_id"], schema="public")


def downgrade() -> None:
    op.drop_table("email_verification_tokens", schema="public")
    op.drop_table("rate_limit_buckets", schema="public")
    op.drop_table("refresh_tokens", schema="public")
    op.drop_table("auth_sessions", schema="public")
    op.drop_table("ai_credits", schema="public")
    op.drop_constraint("fk_users_tier_subscription_quotas", "users", schema="public", type_="foreignkey")
    op.drop_column("users", "tier", schema="public")
    op.drop_column("users", "email_verified_at", schema="public")
    op.drop_table("subscription_quotas", schema="public")
