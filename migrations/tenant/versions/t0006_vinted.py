"""vinted tables: connection, products, orders, conversations

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from stoflow.db.migrations import tenant_schema

revision = "t0006"
down_revision = "t0005"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True))


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean, server_default=sa.text("false"), nullable=False)


def _product_fk(table: str, schema: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["product_id"], [f"{schema}.products.id"], name=f"fk_{table}_product_id_products", ondelete="SET NULL"
    )


def upgrade() -> None:
    schema = tenant_schema()
    op.create_table(
        "vinted_connection",
        sa.Column("id", sa.SmallInteger, server_default="1", autoincrement=False, nullable=False),
        sa.Column("vinted_user_id", sa.BigInteger),
        sa.Column("login", sa.String(100)),
        sa.Column("domain", sa.String(64)),
        sa.Column("logged_in", sa.Boolean),
        _ts("session_checked_at"),
        _ts("last_hello_at"),
        sa.Column("inflight_job_id", sa.BigInteger),
        sa.Column("inflight_attempt", sa.SmallInteger),
        sa.Column("inflight_command", sa.String(40)),
        sa.Column("inflight_connection_id", sa.String(128)),
        _ts("inflight_deadline_at"),
        _ts("next_command_at"),
        _ts("paused_until"),
        sa.Column("pause_s", sa.Integer, server_default="0", nullable=False),
        sa.Column("pause_reason", sa.String(32)),
        _ts("last_datadome_at"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_vinted_connection"),
        sa.CheckConstraint("id = 1", name="ck_vinted_connection_singleton"),
        schema=schema,
    )
    op.create_table(
        "vinted_products",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("vinted_item_id", sa.BigInteger, nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("title", sa.String(200)),
        sa.Column("price", sa.Numeric(12, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("status", sa.String(50)),
        sa.Column("url", sa.Text),
        sa.Column("photo_url", sa.Text),
        _flag("is_closed"),
        _flag("is_hidden"),
        _flag("is_reserved"),
        _flag("is_draft"),
        sa.Column("view_count", sa.Integer),
        sa.Column("favourite_count", sa.Integer),
        _ts("published_at"),
        _ts("sold_at"),
        _ts("deleted_at"),
        _ts("last_synced_at"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_vinted_products"),
        _product_fk("vinted_products", schema),
        sa.UniqueConstraint("vinted_item_id", name="uq_vinted_products_vinted_item_id"),
        schema=schema,
    )
    op.create_index("ix_vinted_products_product_id", "vinted_products", ["product_id"], schema=schema)
    op.create_table(
        "vinted_orders",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger, nullable=False),
        sa.Column("conversation_id", sa.BigInteger),
        sa.Column("vinted_item_id", sa.BigInteger),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("title", sa.String(200)),
        sa.Column("price", sa.Numeric(12, 2)),
        sa.Column("status", sa.String(100)),
        sa.Column("buyer", sa.String(100)),
        sa.Column("ordered_at", sa.String(40)),
        sa.Column("raw", JSONB, server_default=sa.text("'{}'"), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_vinted_orders"),
        _product_fk("vinted_orders", schema),
        sa.UniqueConstraint("transaction_id", name="uq_vinted_orders_transaction_id"),
        schema=schema,
    )
    op.create_index("ix_vinted_orders_vinted_item_id", "vinted_orders", ["vinted_item_id"], schema=schema)
    op.create_table(
        "vinted_conversations",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger, nullable=False),
        sa.Column("opposite_user", sa.String(100)),
        sa.Column("opposite_user_id", sa.BigInteger),
        _flag("unread"),
        sa.Column("description", sa.Text),
        sa.Column("last_message_at", sa.String(40)),
        sa.Column("messages", JSONB, server_default=sa.text("'[]'"), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_vinted_conversations"),
        sa.UniqueConstraint("conversation_id", name="uq_vinted_conversations_conversation_id"),
        schema=schema,
    )


def downgrade() -> None:
    schema = tenant_schema()
    op.drop_table("vinted_conversations", schema=schema)
    op.drop_table("vinted_orders", schema=schema)
    op.drop_table("vinted_products", schema=schema)
    op.drop_table("vinted_connection", schema=schema)
