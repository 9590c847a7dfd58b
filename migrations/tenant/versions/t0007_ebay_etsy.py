"""ebay and etsy tables: credentials, products, orders

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from stoflow.db.migrations import tenant_schema

revision = "t0007"
down_revision = "t0006"
branch_labels = None
depends_on = None

CONNECTION_STATUS = "status IN ('connected', 'needs_reauth', 'disconnected')"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True))


def _product_fk(table: str, schema: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["product_id"], [f"{schema}.products.id"], name=f"fk_{table}_product_id_products", ondelete="SET NULL"
    )


def upgrade() -> None:
    schema = tenant_schema()
    op.create_table(
        "ebay_credentials",
        sa.Column("id", sa.SmallInteger, server_default="1", autoincrement=False, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("ebay_user_id", sa.String(64)),
        sa.Column("username", sa.String(128)),
        sa.Column("access_token_enc", sa.Text),
        sa.Column("refresh_token_enc", sa.Text),
        _ts("access_expires_at"),
        _ts("refresh_expires_at"),
        sa.Column("scopes", sa.Text),
        sa.Column("marketplace_id", sa.String(32), nullable=False),
        sa.Column("merchant_location_key", sa.String(36)),
        sa.Column("fulfillment_policy_id", sa.String(32)),
        sa.Column("payment_policy_id", sa.String(32)),
        sa.Column("return_policy_id", sa.String(32)),
        sa.Column("default_category_id", sa.String(16)),
        sa.Column("location", JSONB, server_default=sa.text("'{}'"), nullable=False),
        _ts("orders_cursor"),
        _ts("orders_synced_at"),
        _ts("connected_at"),
        _ts("refreshed_at"),
        sa.Column("last_error", sa.Text),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ebay_credentials"),
        sa.CheckConstraint("id = 1", name="ck_ebay_credentials_singleton"),
        sa.CheckConstraint(CONNECTION_STATUS, name="ck_ebay_credentials_status"),
        schema=schema,
    )
    op.create_table(
        "ebay_products",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("sku", sa.String(50), nullable=False),
        sa.Column("offer_id", sa.String(32)),
        sa.Column("listing_id", sa.String(32)),
        sa.Column("status", sa.String(16), server_default="draft", nullable=False),
        sa.Column("marketplace_id", sa.String(32), nullable=False),
        sa.Column("category_id", sa.String(16)),
        sa.Column("price", sa.Numeric(12, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("title", sa.String(200)),
        _ts("published_at"),
        _ts("imported_at"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ebay_products"),
        _product_fk("ebay_products", schema),
        sa.UniqueConstraint("sku", name="uq_ebay_products_sku"),
        sa.UniqueConstraint("product_id", name="uq_ebay_products_product_id"),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'withdrawn', 'sold', 'deleted')", name="ck_ebay_products_status"
        ),
        schema=schema,
    )
    op.create_index("ix_ebay_products_listing_id", "ebay_products", ["listing_id"], schema=schema)
    op.create_table(
        "ebay_orders",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("payment_status", sa.String(32)),
        sa.Column("cancelled", sa.Boolean, server_default=sa.text("false"), nullable=False),
        sa.Column("buyer_username", sa.String(128)),
        sa.Column("total", sa.Numeric(12, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        _ts("modified_at"),
        sa.Column("line_items", JSONB, server_default=sa.text("'[]'"), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ebay_orders"),
        sa.UniqueConstraint("order_id", name="uq_ebay_orders_order_id"),
        schema=schema,
    )
    op.create_index("ix_ebay_orders_ordered_at", "ebay_orders", ["ordered_at", "id"], schema=schema)

    op.create_table(
        "etsy_credentials",
        sa.Column("id", sa.SmallInteger, server_default="1", autoincrement=False, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("etsy_user_id", sa.BigInteger),
        sa.Column("shop_id", sa.BigInteger),
        sa.Column("shop_name", sa.String(128)),
        sa.Column("access_token_enc", sa.Text),
        sa.Column("refresh_token_enc", sa.Text),
        _ts("access_expires_at"),
        _ts("refresh_expires_at"),
        sa.Column("scopes", sa.Text),
        sa.Column("shipping_profile_id", sa.BigInteger),
        sa.Column("return_policy_id", sa.BigInteger),
        sa.Column("readiness_state_id", sa.BigInteger),
        sa.Column("default_taxonomy_id", sa.Integer),
        _ts("orders_cursor"),
        _ts("orders_synced_at"),
        _ts("connected_at"),
        _ts("refreshed_at"),
        sa.Column("last_error", sa.Text),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_etsy_credentials"),
        sa.CheckConstraint("id = 1", name="ck_etsy_credentials_singleton"),
        sa.CheckConstraint(CONNECTION_STATUS, name="ck_etsy_credentials_status"),
        schema=schema,
    )
    op.create_table(
        "etsy_products",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("listing_id", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), server_default="draft", nullable=False),
        sa.Column("image_ids", ARRAY(sa.BigInteger), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("price", sa.Numeric(12, 2)),
        _ts("published_at"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_etsy_products"),
        _product_fk("etsy_products", schema),
        sa.UniqueConstraint("listing_id", name="uq_etsy_products_listing_id"),
        sa.UniqueConstraint("product_id", name="uq_etsy_products_product_id"),
        sa.CheckConstraint(
            "state IN ('draft', 'active', 'inactive', 'sold_out', 'deleted')", name="ck_etsy_products_state"
        ),
        schema=schema,
    )
    op.create_table(
        "etsy_orders",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("receipt_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("cancelled", sa.Boolean, server_default=sa.text("false"), nullable=False),
        sa.Column("buyer_name", sa.String(255)),
        sa.Column("total", sa.Numeric(12, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        _ts("modified_at"),
        sa.Column("line_items", JSONB, server_default=sa.text("'[]'"), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_etsy_orders"),
        sa.UniqueConstraint("receipt_id", name="uq_etsy_orders_receipt_id"),
        schema=schema,
    )
    op.create_index("ix_etsy_orders_ordered_at", "etsy_orders", ["ordered_at", "id"], schema=schema)


def downgrade() -> None:
    schema = tenant_schema()
    tables = ("etsy_orders", "etsy_products", "etsy_credentials", "ebay_orders", "ebay_products", "ebay_credentials")
    for table in tables:
        op.drop_table(table, schema=schema)
