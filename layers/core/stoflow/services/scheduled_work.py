"""Scheduled work by kind, bound to the code that does it: the one place that tells
stoflow.jobs.due (which knows no service and no marketplace) whose visit handles each kind of the
shared index of due work (`VISITS`, for the scheduled runs and the job workers alike). Visits
load on first use, so a function running one kind imports only
that kind's code.

- jobs: the job maintenance (reaper, reconciliation, sweeper), stoflow.jobs.maintenance;
- orders: the order checks (stoflow.services.marketplace_schedules.visit_orders), marked by a
  connection, a paired extension and a listing going live;
- purge: abandoned image uploads, stoflow.services.housekeeping;
- tokens: marketplace access tokens about to expire,
  stoflow.services.marketplace_schedules.visit_tokens (marked whenever tokens are stored);
- alerts: alert emails the delivery after their unit of work could not send,
  stoflow.realtime.alerts (always through the job workers: they may send email);
- the marketplaces' own kinds, from their descriptors (Vinted's "lane":
  stoflow.marketplaces.vinted.lane_schedule).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from stoflow import runtime
from stoflow.jobs import due

__all__ = ["VISITS", "run", "visits"]


def _jobs(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
    from stoflow.jobs.maintenance import visit
    from stoflow.services.jobs import registry

    return visit(registry(), tenant_id, now, engine)


def _purge(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
    from stoflow.services.housekeeping import visit_purge

    return visit_purge(tenant_id, now, engine)


def _alerts(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
    from stoflow.realtime.alerts import visit

    return visit(tenant_id, now, engine)


def _orders(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
    from stoflow.services.marketplace_schedules import visit_orders

    return visit_orders(tenant_id, now, engine)


def _tokens(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
    from stoflow.services.marketplace_schedules import visit_tokens

    return visit_tokens(tenant_id, now, engine)


def _marketplace(kind: str) -> due.Visitor:
    def visit(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
        from stoflow.marketplaces.registry import due_work_visits

        return due_work_visits()[kind](tenant_id, now, engine)

    return visit


def visits() -> dict[str, due.Visitor]:
    from stoflow.marketplaces.registry import all_marketplaces

    table: dict[str, due.Visitor] = {
        "alerts": _alerts,
        "jobs": _jobs,
        "orders": _orders,
        "purge": _purge,
        "tokens": _tokens,
    }
    for marketplace in all_marketplaces():
        table.update({kind: _marketplace(kind) for kind in marketplace.due_work})
    return table


# The container's table of visits (the job worker hands it to the due work it is given).
VISITS: runtime.Part[dict[str, due.Visitor]] = runtime.Part("scheduled work visits", visits)


def run(kind: str, *, fan_out_over: int | None = None) -> dict[str, Any]:
    """The scheduled run of one kind (an entrypoint's whole work)."""
    return due.run(kind, runtime.get(VISITS)[kind], fan_out_over=fan_out_over).as_dict()
