"""products: what a reseller records (catalogue attributes, measurements, stock, costs, notes)

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-22

Also adds `images`, the legacy JSONB list of photos as the old system's products table had it:
legacy tenants are imported at this revision, and t0004 moves the list into product_images
and drops the column.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stoflow.db.migrations import tenant_schema

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None

CATALOG_FKS = {
    "category_id": "categories",
    "size_id": "sizes",
    "condition_id": "conditions",
    "gender_id": "genders",
    "season_id": "seasons",
    "pattern_id": "patterns",
}
CHECKS = {
    "cost_price_non_negative": "cost_price IS NULL OR cost_price >= 0",
    "stock_non_negative": "stock >= 0",
    "parcel_weight_positive": "parcel_weight_g IS NULL OR parcel_weight_g > 0",
}


def _new_columns() -> list[sa.Column]:
    return [
        *(sa.Column(column, sa.Integer) for column in CATALOG_FKS),
        sa.Column("color_ids", postgresql.ARRAY(sa.Integer), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("material_ids", postgresql.ARRAY(sa.Integer), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("measurements", postgresql.JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("parcel_weight_g", sa.Integer),
        sa.Column("sku", sa.String(64)),
        sa.Column("stock", sa.Integer, server_default="1", nullable=False),
        sa.Column("cost_price", sa.Numeric(12, 2)),
        sa.Column("internal_notes", sa.Text),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("sold_at", sa.DateTime(timezone=True)),
        sa.Column("images", postgresql.JSONB, server_default=sa.text("'[]'"), nullable=False),
    ]


def upgrade() -> None:
    for column in _new_columns():
        op.add_column("products", column, schema=tenant_schema())
    for column, table in CATALOG_FKS.items():
        op.create_foreign_key(
            f"fk_products_{column}_{table}",
            "products",
            table,
            [column],
            ["id"],
            source_schema=tenant_schema(),
            referent_schema="product_attributes",
            ondelete="SET NULL",
        )
    for name, condition in CHECKS.items():
        op.create_check_constraint(f"ck_products_{name}", "products", condition, schema=tenant_schema())
    op.create_index(
        "ix_products_live_created",
        "products",
        ["created_at", "id"],
        schema=tenant_schema(),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("ix_products_status", "products", ["status"], schema=tenant_schema())
    op.create_index("ix_products_brand_id", "products", ["brand_id"], schema=tenant_schema())
    op.create_index("ix_products_category_id", "products", ["category_id"], schema=tenant_schema())
    op.create_index(
        "uq_products_sku",
        "products",
        ["sku"],
        unique=True,
        schema=tenant_schema(),
        postgresql_where=sa.text("deleted_at IS NULL AND sku IS NOT NULL"),
    )


def downgrade() -> None:
    for name in (
        "uq_products_sku",
        "ix_products_category_id",
        "ix_products_brand_id",
        "ix_products_status",
        "ix_products_live_created",
    ):
        op.drop_index(name, table_name="products", schema=tenant_schema())
    for name in CHECKS:
        op.drop_constraint(f"ck_products_{name}", "products", type_="check", schema=tenant_schema())
    for column in _new_columns():
        # Dropping a column drops its foreign key with it.
        op.drop_column("products", column.name, schema=tenant_schema())
