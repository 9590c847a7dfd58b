"""A tenant's live dashboard connections as the job notifier reads them: once per unit of work,
or for nothing, as one more column of the statement that changes the job (the worker's claim and
finish). No model here: the worker's first job imports none of the realtime tables for it."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

# Where a unit of work keeps the dashboard connections it read, by tenant.
_KEPT = "stoflow_dashboards"


@cache
def dashboards_column() -> Any:
    """The ids of a tenant's live dashboard connections (tenant bound as `dashboards_of`), as one
    column another statement returns beside its own rows, in the same round trip.

    Read by the database function public.stoflow_live_dashboards (migration s0017), which applies
    the rule of stoflow.repositories.ws._CONNECTION_LIVE: as a subquery, planning it cost more than
    the rest of the statement."""
    return func.public.stoflow_live_dashboards(bindparam("dashboards_of", type_=BigInteger), type_=ARRAY(String)).label(
        "dashboards"
    )


def dashboards_read(session: Session, tenant_id: int, connection_ids: list[str] | None) -> None:
    """What `dashboards_column` returned, kept for the rest of the unit of work."""
    session.info.setdefault(_KEPT, {})[tenant_id] = list(connection_ids or ())


def dashboards_known(session: Session, tenant_id: int) -> list[str]:
    """The ids of the tenant's live dashboard connections, read once per unit of work (by
    `dashboards_read`, or here)."""
    known: dict[int, list[str]] = session.info.setdefault(_KEPT, {})
    if tenant_id not in known:
        from stoflow.repositories.ws import connections_of

        known[tenant_id] = [row.connection_id for row in connections_of(session, tenant_id, "dashboard")]
    return known[tenant_id]
