"""due work: the shared index of which tenant has scheduled work of which kind, from when

Revision ID: s0013
Revises: s0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "s0013"
down_revision = "s0012"
branch_labels = None
depends_on = None

KINDS = ("jobs", "lane", "orders", "purge")


def upgrade() -> None:
    op.create_table(
        "due_work",
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="1"),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", "kind", name="pk_due_work"),
        schema="public",
    )
    op.create_index("ix_due_work_kind_due_at", "due_work", ["kind", "due_at"], schema="public")
    # Every existing tenant is due once for every kind: the first runs look at each, and keep a
    # row only where work is actually waiting (from then on, the work's own transactions mark).
    tenants = sa.table("tenants", sa.column("id"), schema="public")
    due = sa.table("due_work", sa.column("tenant_id"), sa.column("kind"), sa.column("due_at"), schema="public")
    for kind in KINDS:
        op.execute(
            due.insert().from_select(
                ["tenant_id", "kind", "due_at"],
                sa.select(tenants.c.id, sa.literal(kind), sa.func.now()),
            )
        )


def downgrade() -> None:
    op.drop_index("ix_due_work_kind_due_at", table_name="due_work", schema="public")
    op.drop_table("due_work", schema="public")
