"""products: what marketplaces require that the product could not say (year made, handmade,
eBay's size type) and the seller's per-marketplace overrides (category, extra aspects)

Revision ID: t0011
Revises: t0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stoflow.db.migrations import tenant_schema

revision = "t0011"
down_revision = "t0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = tenant_schema()
    op.add_column("products", sa.Column("year_made", sa.SmallInteger), schema=schema)
    op.add_column(
        "products", sa.Column("handmade", sa.Boolean, server_default=sa.false(), nullable=False), schema=schema
    )
    op.add_column("products", sa.Column("size_type_id", sa.Integer), schema=schema)
    op.add_column(
        "products",
        sa.Column("marketplace_overrides", postgresql.JSONB, server_default=sa.text("'{}'"), nullable=False),
        schema=schema,
    )
    op.create_foreign_key(
        "fk_products_size_type_id_size_types",
        "products",
        "size_types",
        ["size_type_id"],
        ["id"],
        source_schema=schema,
        referent_schema="product_attributes",
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        "ck_products_year_made_range", "products", "year_made IS NULL OR year_made BETWEEN 1000 AND 2100", schema=schema
    )


def downgrade() -> None:
    schema = tenant_schema()
    op.drop_constraint("ck_products_year_made_range", "products", schema=schema, type_="check")
    op.drop_constraint("fk_products_size_type_id_size_types", "products", schema=schema, type_="foreignkey")
    for column in ("marketplace_overrides", "size_type_id", "handmade", "year_made"):
        op.drop_column("products", column, schema=schema)
