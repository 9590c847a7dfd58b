"""product_images: one row per photo, with the label flag the JSONB list could not hold

Revision ID: t0003
Revises: t0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stoflow.db.migrations import tenant_schema

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_images",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), server_default="ready", nullable=False),
        sa.Column("storage_key", sa.String(512)),
        sa.Column("url", sa.Text),
        sa.Column("position", sa.Integer),
        sa.Column("is_label", sa.Boolean, server_default=sa.text("false"), nullable=False),
        sa.Column("alt_text", sa.String(500)),
        sa.Column("tags", postgresql.ARRAY(sa.Text), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("mime_type", sa.String(64)),
        sa.Column("file_size", sa.Integer),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("legacy_source", postgresql.JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_product_images"),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [f"{tenant_schema()}.products.id"],
            name="fk_product_images_product_id_products",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("status IN ('pending', 'ready')", name="ck_product_images_status"),
        sa.CheckConstraint("status = 'pending' OR position IS NOT NULL", name="ck_product_images_ready_has_position"),
        sa.CheckConstraint("storage_key IS NOT NULL OR url IS NOT NULL", name="ck_product_images_has_location"),
        sa.CheckConstraint("NOT is_label OR status = 'ready'", name="ck_product_images_label_is_ready"),
        schema=tenant_schema(),
    )
    op.create_index(
        "ix_product_images_product_id_position", "product_images", ["product_id", "position"], schema=tenant_schema()
    )
    op.create_index(
        "uq_product_images_one_label",
        "product_images",
        ["product_id"],
        unique=True,
        schema=tenant_schema(),
        postgresql_where=sa.text("is_label"),
    )


def downgrade() -> None:
    op.drop_table("product_images", schema=tenant_schema())
