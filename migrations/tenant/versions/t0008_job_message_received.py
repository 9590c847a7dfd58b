"""marketplace jobs: when the worker received the job's queue message (a message in flight is healthy)

Revision ID: t0008
Revises: t0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "t0008"
down_revision = "t0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "marketplace_jobs", sa.Column("message_received_at", sa.DateTime(timezone=True)), schema=tenant_schema()
    )


def downgrade() -> None:
    op.drop_column("marketplace_jobs", "message_received_at", schema=tenant_schema())
