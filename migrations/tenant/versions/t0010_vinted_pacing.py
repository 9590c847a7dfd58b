"""vinted_connection: pacing by kind (next write, the sends counted in the rolling caps) and a
pause that also waits for the seller's resume

Revision ID: t0010
Revises: t0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from stoflow.db.migrations import tenant_schema

revision = "t0010"
down_revision = "t0009"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    schema = tenant_schema()
    op.add_column("vinted_connection", sa.Column("next_write_at", _TS), schema=schema)
    for name in ("write_log", "read_log"):
        op.add_column(
            "vinted_connection",
            sa.Column(name, ARRAY(_TS), nullable=False, server_default=sa.text("'{}'")),
            schema=schema,
        )
    op.add_column("vinted_connection", sa.Column("paused_at", _TS), schema=schema)
    op.add_column(
        "vinted_connection",
        sa.Column("resume_required", sa.Boolean, nullable=False, server_default=sa.text("false")),
        schema=schema,
    )
    op.add_column("vinted_connection", sa.Column("resumed_at", _TS), schema=schema)


def downgrade() -> None:
    schema = tenant_schema()
    for name in ("resumed_at", "resume_required", "paused_at", "read_log", "write_log", "next_write_at"):
        op.drop_column("vinted_connection", name, schema=schema)
