"""products

Revision ID: t0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "t0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("price", sa.Numeric(12, 2)),
        sa.Column("currency", sa.String(3), server_default="EUR", nullable=False),
        sa.Column("brand_id", sa.Integer),
        sa.Column("status", sa.String(16), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer, server_default="1", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["product_attributes.brands.id"],
            name="fk_products_brand_id_brands",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("status IN ('draft', 'published', 'sold', 'archived')", name="ck_products_status"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="ck_products_price_non_negative"),
        schema=tenant_schema(),
    )


def downgrade() -> None:
    op.drop_table("products", schema=tenant_schema())
