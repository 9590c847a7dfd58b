"""sales (the delist chain of each sale), alerts, order_checks (when each marketplace's orders are next checked)

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from stoflow.db.migrations import tenant_schema

revision = "t0009"
down_revision = "t0008"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    schema = tenant_schema()
    op.create_table(
        "sales",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("sold_on", sa.String(16), nullable=False),
        sa.Column("order_ref", sa.String(128), nullable=False),
        sa.Column("quantity", sa.Integer, server_default="1", nullable=False),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        _ts("sold_at"),
        _ts("seen_at", nullable=False),
        _ts("delists_queued_at"),
        _ts("cancelled_at"),
        _ts("restored_at"),
        sa.Column("steps", JSONB, server_default=sa.text("'[]'"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales"),
        sa.ForeignKeyConstraint(
            ["product_id"], [f"{schema}.products.id"], name="fk_sales_product_id_products", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("sold_on", "order_ref", "product_id", name="uq_sales_order_product"),
        sa.CheckConstraint("status IN ('active', 'oversold', 'cancelled', 'restored')", name="ck_sales_status"),
        schema=schema,
    )
    op.create_index("ix_sales_product_id", "sales", ["product_id"], schema=schema)
    op.create_index("ix_sales_seen_at", "sales", ["seen_at"], schema=schema)
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("sale_id", sa.BigInteger),
        sa.Column("job_id", sa.BigInteger),
        sa.Column("marketplace", sa.String(16)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        _ts("read_at"),
        _ts("emailed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("dedupe_key", name="uq_alerts_dedupe_key"),
        sa.CheckConstraint("kind IN ('delist_failed', 'oversold')", name="ck_alerts_kind"),
        schema=schema,
    )
    op.create_index("ix_alerts_unread", "alerts", ["read_at", "created_at"], schema=schema)
    op.create_table(
        "order_checks",
        sa.Column("marketplace", sa.String(16), nullable=False),
        _ts("due_at"),
        _ts("checked_at"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("marketplace", name="pk_order_checks"),
        schema=schema,
    )


def downgrade() -> None:
    schema = tenant_schema()
    op.drop_table("order_checks", schema=schema)
    op.drop_table("alerts", schema=schema)
    op.drop_table("sales", schema=schema)
