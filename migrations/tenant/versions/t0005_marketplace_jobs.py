"""marketplace jobs, batches, publication history, listing state

Revision ID: t0005
Revises: t0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from stoflow.db.migrations import tenant_schema

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None

STATUSES = "'pending', 'running', 'waiting_extension', 'unknown_outcome', 'completed', 'failed', 'cancelled'"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    schema = tenant_schema()
    op.create_table(
        "marketplace_batches",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(128)),
        sa.Column("request_hash", sa.String(64)),
        sa.Column("total", sa.Integer, server_default="0", nullable=False),
        sa.Column("completed", sa.Integer, server_default="0", nullable=False),
        sa.Column("failed", sa.Integer, server_default="0", nullable=False),
        sa.Column("cancelled", sa.Integer, server_default="0", nullable=False),
        sa.Column("created_by", sa.BigInteger),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_marketplace_batches"),
        sa.UniqueConstraint("idempotency_key", name="uq_marketplace_batches_idempotency_key"),
        schema=schema,
    )
    op.create_table(
        "marketplace_jobs",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("batch_id", sa.BigInteger),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("status", sa.String(20), server_default="pending", nullable=False),
        sa.Column("priority", sa.SmallInteger, server_default="0", nullable=False),
        sa.Column("attempts", sa.SmallInteger, server_default="0", nullable=False),
        sa.Column("max_attempts", sa.SmallInteger, server_default="5", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("deadline_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("idempotency_key", sa.String(160)),
        sa.Column("input", JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("result", JSONB),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("cancel_requested", sa.Boolean, server_default="false", nullable=False),
        sa.Column("needs_reconcile", sa.Boolean, server_default="false", nullable=False),
        sa.Column("message_sent_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_marketplace_jobs"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            [f"{schema}.marketplace_batches.id"],
            name="fk_marketplace_jobs_batch_id_marketplace_batches",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [f"{schema}.products.id"],
            name="fk_marketplace_jobs_product_id_products",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_marketplace_jobs_status"),
        sa.CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="ck_marketplace_jobs_attempts"),
        sa.UniqueConstraint("idempotency_key", name="uq_marketplace_jobs_idempotency_key"),
        schema=schema,
    )
    op.create_index("ix_marketplace_jobs_status_next", "marketplace_jobs", ["status", "next_attempt_at"], schema=schema)
    op.create_index("ix_marketplace_jobs_batch_id", "marketplace_jobs", ["batch_id"], schema=schema)
    op.create_index("ix_marketplace_jobs_product_id", "marketplace_jobs", ["product_id"], schema=schema)
    op.create_index("ix_marketplace_jobs_created", "marketplace_jobs", ["created_at", "id"], schema=schema)
    op.create_table(
        "publication_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger),
        sa.Column("job_id", sa.BigInteger),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(128)),
        sa.Column("error_code", sa.String(64)),
        sa.Column("details", JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_publication_history"),
        schema=schema,
    )
    op.create_index(
        "ix_publication_history_product", "publication_history", ["product_id", "created_at"], schema=schema
    )
    op.create_table(
        "marketplace_listings",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger, nullable=False),
        sa.Column("marketplace", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128)),
        sa.Column("url", sa.Text),
        sa.Column("last_job_id", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_marketplace_listings"),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [f"{schema}.products.id"],
            name="fk_marketplace_listings_product_id_products",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("product_id", "marketplace", name="uq_marketplace_listings_product_marketplace"),
        sa.CheckConstraint("status IN ('listed', 'delisted', 'sold', 'error')", name="ck_marketplace_listings_status"),
        schema=schema,
    )


def downgrade() -> None:
    schema = tenant_schema()
    op.drop_table("marketplace_listings", schema=schema)
    op.drop_table("publication_history", schema=schema)
    op.drop_table("marketplace_jobs", schema=schema)
    op.drop_table("marketplace_batches", schema=schema)
