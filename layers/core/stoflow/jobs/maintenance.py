"""Scheduled job maintenance: the sweeper (messages that never left, retries now due, messages
lost in the queue) and the reaper (attempts whose worker died after the claim).

The schedule visits only the tenants the shared index of due work names (stoflow.jobs.due, kind
"jobs"): job creation and every move that leaves a job waiting mark it, and a visit does all three
tasks in one short transaction, then says when the tenant's jobs next need a look. Rows touched
are locked with SKIP LOCKED, so two overlapping visits never handle the same job.

`sweep`, `reap` and `reconcile_unknown` do one task over given tenants (every registered tenant
by default): a repair an operator may run, and what the tests drive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stoflow.db.engine import get_engine
from stoflow.db.tenancy import registered_tenants, tenant_session
from stoflow.jobs import due, transitions
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
    reconciling: int = 0  # unknown outcomes requeued to be settled by a read
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Windows:
    grace: timedelta
    lost_after: timedelta
    visibility: timedelta

    @classmethod
    def from_settings(cls) -> _Windows:
        from stoflow.config import get_settings

        settings = get_settings()
        return cls(
            timedelta(seconds=settings.jobs_resend_grace_s),
            timedelta(seconds=settings.jobs_lost_message_after_s),
            timedelta(seconds=settings.jobs_queue_visibility_timeout_s),
        )


Sendable = list[tuple[int, str, int]]


def _each_tenant(
    engine: Engine,
    task: str,
    work: Callable[[int, Session, MaintenanceReport], list[JobStatusEvent]],
    tenant_ids: Iterable[int] | None = None,
) -> MaintenanceReport:
    """Run `work` for each tenant (every registered one by default) in its own transaction, which
    also reads whom to notify (the pushes leave after its commit).
    One tenant's trouble is recorded and logged, and never stops the other tenants' jobs."""
    report = MaintenanceReport()
    for tenant_id in registered_tenants(engine) if tenant_ids is None else tenant_ids:
        report.tenants += 1
        try:
            with tenant_session(tenant_id, engine=engine) as session:
                for event in work(tenant_id, session, report):
                    notify(session, event)
        except Exception as exc:
            log.exception("%s: tenant %s failed", task, tenant_id)
            report.errors.append(f"{task}: tenant {tenant_id}: {type(exc).__name__}: {exc}")
    return report


def _sendable(session: Session, now: datetime, windows: _Windows) -> Sendable:
    jobs = repository.due_for_sending(
        session, now, windows.grace, windows.lost_after, PER_TENANT_LIMIT, windows.visibility
    )
    return [(job.id, job.marketplace, job.attempts) for job in jobs]


def sweep(
    engine: Engine | None = None, *, clock: Clock = utcnow, tenant_ids: Iterable[int] | None = None
) -> MaintenanceReport:
    """Send the messages of pending jobs that have none in flight."""
    engine = engine or get_engine()
    now = clock()
    windows = _Windows.from_settings()
    due_jobs: dict[int, Sendable] = {}

    def collect(tenant_id: int, session: Session, report: MaintenanceReport) -> list[JobStatusEvent]:
        due_jobs[tenant_id] = _sendable(session, now, windows)
        return []

    report = _each_tenant(engine, "sweep", collect, tenant_ids)
    for tenant_id, jobs in due_jobs.items():  # sent outside the transaction that found them
        report.sent += send_now(tenant_id, jobs, engine=engine)
    return report


def _reap_in(
    registry: HandlerRegistry, tenant_id: int, session: Session, now: datetime, report: MaintenanceReport
) -> list[JobStatusEvent]:
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


def reap(
    registry: HandlerRegistry,
    engine: Engine | None = None,
    *,
    clock: Clock = utcnow,
    tenant_ids: Iterable[int] | None = None,
) -> MaintenanceReport:
    """Take back attempts that overran their deadline (the worker died or timed out).

    An idempotent action is simply retried. Any other write may or may not have reached the
    marketplace: it becomes unknown_outcome, to be reconciled by a read, never repeated blindly."""
    now = clock()

    def work(tenant_id: int, session: Session, report: MaintenanceReport) -> list[JobStatusEvent]:
        return _reap_in(registry, tenant_id, session, now, report)

    return _each_tenant(engine or get_engine(), "reap", work, tenant_ids)


def _reconcile_in(
    registry: HandlerRegistry, tenant_id: int, session: Session, now: datetime, report: MaintenanceReport
) -> list[JobStatusEvent]:
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
            report.reconciling += 1
            events.append(status_event(tenant_id, settled))
    return events


def reconcile_unknown(
    registry: HandlerRegistry,
    engine: Engine | None = None,
    *,
    clock: Clock = utcnow,
    tenant_ids: Iterable[int] | None = None,
) -> MaintenanceReport:
    """Requeue unknown-outcome jobs whose handler can reconcile by a read: their next attempt reads
    first and writes only if the earlier write never landed. Others wait for a person to decide."""
    now = clock()

    def work(tenant_id: int, session: Session, report: MaintenanceReport) -> list[JobStatusEvent]:
        return _reconcile_in(registry, tenant_id, session, now, report)

    return _each_tenant(engine or get_engine(), "reconcile", work, tenant_ids)


def visit(
    registry: HandlerRegistry,
    tenant_id: int,
    now: datetime,
    engine: Engine | None = None,
    report: MaintenanceReport | None = None,
) -> datetime | None:
    """One tenant's maintenance, due or not: reap, requeue what can be reconciled, find what must
    be sent, all in one transaction (which reads whom to notify; the pushes leave after its
    commit); then send. Returns when its jobs next need a look
    (None: no job waits on the schedule)."""
    report = report if report is not None else MaintenanceReport()
    windows = _Windows.from_settings()
    report.tenants += 1
    with tenant_session(tenant_id, engine=engine) as session:
        events = _reap_in(registry, tenant_id, session, now, report)
        events += _reconcile_in(registry, tenant_id, session, now, report)
        sendable = _sendable(session, now, windows)
        next_due = repository.next_maintenance_at(
            session, windows.grace, windows.lost_after, windows.visibility, [job_id for job_id, _, _ in sendable]
        )
        for event in events:
            notify(session, event)
    if not sendable:
        return next_due
    sent = send_now(tenant_id, sendable, engine=engine)
    report.sent += sent
    if sent < len(sendable):
        return now  # not all went: the next run sends the rest
    lost_from = now + windows.lost_after  # when the messages just sent could count as lost
    return lost_from if next_due is None else min(next_due, lost_from)


def run_all(
    registry: HandlerRegistry,
    engine: Engine | None = None,
    *,
    clock: Clock = utcnow,
    fan_out_over: int | None = None,
) -> dict[str, object]:
    """The scheduled entry: the tenants whose jobs are due (stoflow.jobs.due, kind "jobs"), each
    visited here or, when more than `fan_out_over` are due, by the job workers. The counts are
    those of the visits made here (the workers log their own)."""
    report = MaintenanceReport()

    def visit_here(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
        return visit(registry, tenant_id, now, engine, report)

    run = due.run("jobs", engine=engine, clock=clock, fan_out_over=fan_out_over, visit_with=visit_here)
    return {
        **run.as_dict(),
        "reaped": {"requeued": report.requeued, "unknown_outcome": report.unknown, "failed": report.failed},
        "reconciling": report.reconciling,
        "sent": report.sent,
        "tenants": report.tenants,
    }


def visitor(registry: HandlerRegistry) -> due.Visitor:
    """The "jobs" kind's visit for stoflow.jobs.due."""

    def visit_due(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
        return visit(registry, tenant_id, now, engine)

    return visit_due


__all__ = ["MaintenanceReport", "reap", "reconcile_unknown", "run_all", "sweep", "visit", "visitor"]
