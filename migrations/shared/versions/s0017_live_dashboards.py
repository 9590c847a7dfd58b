"""live dashboards: a tenant's live dashboard connections, read by the worker with each job it
claims or finishes

A function rather than a subquery in the job's UPDATE … RETURNING: PostgreSQL plans an unnamed
statement at every execution, and planning the subquery cost about 65 µs of each claim and finish;
PL/pgSQL keeps the plan of its query for the connection's life (about 5 µs a call).

"Live" is the rule of stoflow.repositories.ws._CONNECTION_LIVE: a connection opened before
sessions were recorded (no session id), or whose auth session is not revoked. A change to either
table's columns used here comes with a new version of this function.

Revision ID: s0017
Revises: s0016
Create Date: 2026-12-01
"""

from alembic import op

from stoflow.db.roles import APP_ROLE

revision = "s0017"
down_revision = "s0016"
branch_labels = None
depends_on = None

_SIGNATURE = "public.stoflow_live_dashboards(bigint)"


def upgrade() -> None:
    op.execute(
        """CREATE OR REPLACE FUNCTION public.stoflow_live_dashboards(tenant bigint) RETURNS varchar[]
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN (
    SELECT array_agg(c.connection_id ORDER BY c.connected_at)
    FROM public.ws_connections AS c
    WHERE c.tenant_id = tenant
      AND c.client = 'dashboard'
      AND (
        c.session_id IS NULL
        OR EXISTS (SELECT 1 FROM public.auth_sessions AS a WHERE a.id = c.session_id AND a.revoked_at IS NULL)
      )
  );
END
$fn$"""
    )
    op.execute(f"REVOKE ALL ON FUNCTION {_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {_SIGNATURE} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {_SIGNATURE}")
