"""Scheduled work driven by the shared index of due work (public.due_work), never by a walk of
every tenant: a run costs in proportion to the tenants that have something due.

A run leases the rows of one kind that are due (UPDATE ... FOR UPDATE SKIP LOCKED: two runs never
take the same tenant), then either visits each tenant itself, or, when more than `fan_out_over`
are due, hands each one to the job workers as a DueMessage on the jobs queue (their visits run in
parallel and the scheduled function stays short). A visit does the kind's work for one tenant in
that tenant's transactions and returns when the tenant is next due (None: nothing waits); the row
is then settled by its leased version, so work marked while the visit ran stays due.

A visit that fails, or a message that is lost, leaves the lease to expire: the tenant is due again
`LEASE` later. Which visit belongs to which kind is the caller's to say (stoflow.services.
scheduled_work holds the table): this package knows no marketplace and no service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from stoflow.db.tenancy import shared_session
from stoflow.errors import TenantNotFound
from stoflow.jobs.messages import DueMessage
from stoflow.repositories import due_work as repository

log = logging.getLogger(__name__)

# (tenant id, now, engine) -> when the tenant is next due for this kind, or None.
Visitor = Callable[[int, datetime, Engine | None], datetime | None]
Clock = Callable[[], datetime]

# How long a leased row stays out of reach: longer than a run, and than a message's wait in the
# queue (its visibility timeout); past it, a lost visit is simply due again.
LEASE = timedelta(minutes=5)
# Rows one run leases at most; the rest wait for the next run.
MAX_PER_RUN = 2000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DueReport:
    kind: str
    due: int = 0
    visited: int = 0
    fanned_out: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": self.due,
            "visited": self.visited,
            "fanned_out": self.fanned_out,
            "errors": self.errors,
        }


def visit(
    kind: str,
    tenant_id: int,
    version: int,
    visit_with: Visitor,
    *,
    engine: Engine | None = None,
    clock: Clock = utcnow,
) -> bool:
    """Do one tenant's due work of `kind` with `visit_with` and settle its row; False if the
    visit failed (the lease then runs out and the tenant is due again)."""
    try:
        next_due = visit_with(tenant_id, clock(), engine)
    except TenantNotFound:
        next_due = None  # dropped since it was marked: nothing of it is due any more
    except Exception:
        log.exception("due %s work failed for tenant %s; due again when its lease ends", kind, tenant_id)
        return False
    with shared_session(engine=engine) as session:
        repository.settle(session, tenant_id, kind, version, next_due)
    return True


def run(
    kind: str,
    visit_with: Visitor,
    *,
    engine: Engine | None = None,
    clock: Clock = utcnow,
    fan_out_over: int | None = None,
    limit: int = MAX_PER_RUN,
) -> DueReport:
    """The scheduled run of one kind: lease what is due, visit it here with `visit_with` or,
    above `fan_out_over` due tenants (the setting by default), hand it to the job workers (whose
    visits of the kind are the same code, from stoflow.services.scheduled_work)."""
    if fan_out_over is None:
        from stoflow.config import get_settings

        fan_out_over = get_settings().scheduled_fan_out_over
    report = DueReport(kind)
    now = clock()
    with shared_session(engine=engine) as session:
        leased = repository.lease(session, kind, now, now + LEASE, limit)
    report.due = len(leased)
    if len(leased) > fan_out_over:
        report.fanned_out = fan_out(kind, leased)
        leased = leased[report.fanned_out :]  # what the queue refused is visited here
    for row in leased:
        if visit(kind, row.tenant_id, row.version, visit_with, engine=engine, clock=clock):
            report.visited += 1
        else:
            report.errors.append(f"{kind}: tenant {row.tenant_id}")
    log.info(
        "due %s work: %d due, %d visited, %d handed to the workers", kind, report.due, report.visited, report.fanned_out
    )
    return report


def fan_out(kind: str, leased: list[repository.Leased]) -> int:
    """Hand the leased tenants to the job workers, in order; returns how many of the first went
    (a refused message, and everything after it, is visited by the run itself)."""
    from stoflow.jobs.queue import get_queue

    stamp = str(int(utcnow().timestamp() * 1000))
    messages = [(DueMessage(kind, row.tenant_id, row.version), stamp) for row in leased]
    try:
        refused = get_queue().send(messages)
    except Exception:
        log.exception("handing %d due %s visits to the workers failed; visiting them here", len(messages), kind)
        return 0
    if not refused:
        return len(messages)
    first_refused = min(index for index, (message, _) in enumerate(messages) if message in refused)
    return first_refused


def handle_message(message: DueMessage, visits: Mapping[str, Visitor], *, clock: Clock = utcnow) -> str:
    """A job worker's side of the fan-out: the message's kind visited with `visits[kind]`."""
    visit_with = visits.get(message.kind)
    if visit_with is None:
        raise LookupError(f"no visit for due work of kind {message.kind!r}")
    ok = visit(message.kind, message.tenant_id, message.version, visit_with, clock=clock)
    return "completed" if ok else "failed"


__all__ = ["LEASE", "DueReport", "Visitor", "fan_out", "handle_message", "run", "visit"]
