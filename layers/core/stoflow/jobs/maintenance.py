"""Scheduled job maintenance: the sweeper (messages that never left, retries now due, messages
lost in the queue) and the reaper (attempts whose worker died after the claim).

Both walk the tenant registry, one short transaction per tenant, and lock the rows they touch
with SKIP LOCKED so two overlapping runs never handle the same job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stoflow.db.engine import get_engine
from stoflow.db.tenancy import registered_tenants, tenant_session
from stoflow.jobs import transitions
from stoflow.jobs.dispatch import send_now
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.notifier import JobStatusEvent, notify
from stoflow.jobs.processor import Clock, record_final, status_event, utcnow
from stoflow.repositories import jobs as repository

log = logging.getLogger(__name__)
PER_TENANT_LIMIT = 200


@dataclass
class MaintenanceReport:
    tenants: int = 0
    sent: int = 0
    requeued: int = 0
    unknown: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _each_tenant(
    engine: Engine, task: str, work: Callable[[int, Session, MaintenanceReport], list[JobStatusEvent]]
) -> MaintenanceReport:
    """Run `work` for every registered tenant in its own transaction, which also reads whom to
    notify (the pushes leave after its commit).
    One tenant's trouble is recorded and logged, and never stops the other tenants' jobs."""
    report = MaintenanceReport()
    for tenant_id in registered_tenants(engine):
        report.tenants += 1
        try:
            with tenant_session(tenant_id, engine=engine) as session:
                for event in work(tenant_id, session, report):
                    notify(session, event)
        except Exception as exc:
            log.exception("%s: tenant %s failed", task, tenant_id)
            report.errors.append(f"{task}: tenant {tenant_id}: {type(exc).__name__}: {exc}")
    return report


def sweep(engine: Engine | None = None, *, clock: Clock = utcnow) -> MaintenanceReport:
    """Send the messages of pending jobs that have none in flight."""
    from stoflow.config import get_settings

    settings = get_settings()
    engine = engine or get_engine()
    now = clock()
    grace = timedelta(seconds=settings.jobs_resend_grace_s)
    lost_after = timedelta(seconds=settings.jobs_lost_message_after_s)
    visibility = timedelta(seconds=settings.jobs_queue_visibility_timeout_s)
    due: dict[int, list[tuple[int, str, int]]] = {}

    def collect(tenant_id: int, session: Session, report: MaintenanceReport) -> list[JobStatusEvent]:
        jobs = repository.due_for_sending(session, now, grace, lost_after, PER_TENANT_LIMIT, visibility)
        due[tenant_id] = [(job.id, job.marketplace, job.attempts) for job in jobs]
        return []

    report = _each_tenant(engine, "sweep", collect)
    for tenant_id, jobs in due.items():  # sent outside the transaction that found them
        report.sent += send_now(tenant_id, jobs, engine=engine)
    return report


def reap(registry: HandlerRegistry, engine: Engine | None = None, *, clock: Clock = utcnow) -> MaintenanceReport:
    """Take back attempts that overran their deadline (the worker died or timed out).

    An idempotent action is simply retried. Any other write may or may not have reached the
    marketplace: it becomes unknown_outcome, to be reconciled by a read, never repeated blindly."""
    now = clock()

    def work(tenant_id: int, session: Session, report: MaintenanceReport) -> list[JobStatusEvent]:
        events = []
        for job in repository.overdue_running(session, now, PER_TENANT_LIMIT):
            handler = registry.get(job.marketplace, job.action)
            idempotent = handler is not None and handler.idempotent
            values: dict[str, Any]
            if idempotent and job.attempts < job.max_attempts:
                values = {"status": "pending", "next_attempt_at": now, "message_sent_at": None, "deadline_at": None}
                report.requeued += 1
            elif idempotent:
                values = {"status": "failed", "finished_at": now}
                report.failed += 1
            else:
                values = {"status": "unknown_outcome", "finished_at": now, "needs_reconcile": True}
                report.unknown += 1
            message = f"attempt {job.attempts} passed its deadline without an answer (worker lost)"
            values.update(error_code="worker_lost", error_message=message, updated_at=now)
            settled = transitions.settle(session, job.id, ["running"], values)
            if settled is not None:
                record_final(session, settled)
                events.append(status_event(tenant_id, settled))
        return events

    return _each_tenant(engine or get_engine(), "reap", work)


def reconcile_unknown(
    registry: HandlerRegistry, engine: Engine | None = None, *, clock: Clock = utcnow
) -> MaintenanceReport:
    """Requeue unknown-outcome jobs whose handler can reconcile by a read: their next attempt reads
    first and writes only if the earlier write never landed. Others wait for a person to decide."""
    now = clock()

    def work(tenant_id: int, session: Session, report: MaintenanceReport) -> list[JobStatusEvent]:
        events = []
        for job in repository.unknown_outcomes(session, PER_TENANT_LIMIT):
            handler = registry.get(job.marketplace, job.action)
            if handler is None or not hasattr(handler, "reconcile") or job.attempts >= job.max_attempts:
                continue
            settled = transitions.settle(
                session,
                job.id,
                ["unknown_outcome"],
                {
                    "status": "pending",
                    "needs_reconcile": True,
                    "next_attempt_at": now,
                    "message_sent_at": None,
                    "finished_at": None,
                    "updated_at": now,
                },
            )
            if settled is not None:
                report.requeued += 1
                events.append(status_event(tenant_id, settled))
        return events

    return _each_tenant(engine or get_engine(), "reconcile", work)


def run_all(registry: HandlerRegistry, engine: Engine | None = None, *, clock: Clock = utcnow) -> dict[str, object]:
    """The scheduled entry: reap, requeue what can be reconciled, then sweep (which sends them)."""
    reaped = reap(registry, engine, clock=clock)
    reconciled = reconcile_unknown(registry, engine, clock=clock)
    swept = sweep(engine, clock=clock)
    return {
        "reaped": {"requeued": reaped.requeued, "unknown_outcome": reaped.unknown, "failed": reaped.failed},
        "reconciling": reconciled.requeued,
        "sent": swept.sent,
        "tenants": swept.tenants,
        "errors": reaped.errors + reconciled.errors + swept.errors,
    }


__all__ = ["MaintenanceReport", "reap", "reconcile_unknown", "run_all", "sweep"]
