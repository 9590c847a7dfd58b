"""due work: kinds tokens and alerts, every existing tenant due once for each

Revision ID: s0014
Revises: s0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "s0014"
down_revision = "s0013"
branch_labels = None
depends_on = None

KINDS = ("alerts", "tokens")


def upgrade() -> None:
    # The token refresh and the alert sweep now visit only the tenants the index names, and rows of
    # these kinds are written from now on: every existing tenant is due once for each, and the first
    # runs keep a row only where tokens will expire or an alert email is still owed.
    for kind in KINDS:
        op.execute(
            sa.text(
                "INSERT INTO public.due_work (tenant_id, kind, due_at) "
                "SELECT id, :kind, now() FROM public.tenants ON CONFLICT (tenant_id, kind) DO NOTHING"
            ).bindparams(kind=kind)
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM public.due_work WHERE kind IN ('alerts', 'tokens')"))
