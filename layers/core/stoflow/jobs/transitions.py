"""The one module that changes a job's status, attempts or outcome (result, error, finish time,
the reconcile flag). Everything else asks it: the processor (claim, finish), the maintenance
schedule (reap, requeue for reconciliation), cancelling, and a marketplace's lane that hands jobs
to a browser extension (settle, note). A unit test checks that no other module of the layer
assigns those columns or calls the repository's state-changing statements.

The allowed moves are data (`TRANSITIONS`): a move not in the table raises IllegalTransition
before any statement is sent, so a bug becomes an error instead of a job in an impossible state.
The guards of the statements themselves (the claiming attempt, the expected current statuses)
stay in stoflow.repositories.jobs: a job that moved meanwhile is simply not matched (None).

Being the one door, it is also where the shared index of due work learns of a job the scheduled
runs will have to look at (`due`), in the same transaction as the move: a job waiting for a retry
or a reconciliation (kind "jobs", the maintenance schedule), a job parked for the browser
extension (kind "lane", the lane's tick). A claim marks nothing: the pending job it starts was
marked when created, and a visit recomputes the tenant's next time from its jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from stoflow.models.jobs import FINAL_STATUSES, MarketplaceJob
from stoflow.repositories import jobs as repository
from stoflow.repositories.due_work import mark_due

__all__ = [
    "OUTCOME_COLUMNS",
    "STATE_COLUMNS",
    "TRANSITIONS",
    "IllegalTransition",
    "allowed",
    "claim",
    "due",
    "finish",
    "new_job",
    "note",
    "request_cancel",
    "settle",
]

# status -> the statuses it may move to. A final status goes nowhere.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    # claimed by a worker; cancelled or expired before it ran
    "pending": frozenset({"running", "cancelled", "failed"}),
    # the end of an attempt: done, refused, stopped, parked for the extension, fate unknown, or
    # back to pending for a retry (also when the reaper takes back a dead worker's attempt)
    "running": frozenset({"completed", "failed", "cancelled", "pending", "waiting_extension", "unknown_outcome"}),
    # parked for the browser extension: sent (a note, same status), answered, retried, expired,
    # cancelled, or its deadline missed for a write
    "waiting_extension": frozenset(
        {"waiting_extension", "completed", "failed", "pending", "unknown_outcome", "cancelled"}
    ),
    # settled by a read (completed), requeued to reconcile or retry (pending), given up (failed),
    # still unknown after a late answer, or cancelled by the user
    "unknown_outcome": frozenset({"completed", "failed", "pending", "unknown_outcome", "cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}
# The columns that only this module writes.
OUTCOME_COLUMNS = frozenset({"result", "error_code", "error_message", "finished_at", "needs_reconcile"})
STATE_COLUMNS = frozenset({"status", "attempts"}) | OUTCOME_COLUMNS
# What a note may change on a job that keeps its status (the extension's parking codes, a deadline).
NOTE_COLUMNS = frozenset({"error_code", "error_message", "deadline_at", "next_attempt_at", "updated_at"})

assert set(FINAL_STATUSES) <= set(TRANSITIONS)
assert all(not TRANSITIONS[status] for status in FINAL_STATUSES)


class IllegalTransition(ValueError):
    """A move the table does not allow: a bug in the caller."""


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def _check(from_statuses: Sequence[str], target: str) -> None:
    for current in from_statuses:
        if not allowed(current, target):
            raise IllegalTransition(f"a job may not go from {current} to {target}")


def new_job(**columns: Any) -> dict[str, Any]:
    """The columns of a job as it is created: pending, no attempt yet, no outcome."""
    if STATE_COLUMNS & set(columns):
        raise IllegalTransition(
            f"a new job's state is set here, not by its creator: {sorted(STATE_COLUMNS & set(columns))}"
        )
    return {"status": "pending", "attempts": 0, **columns}


def due(session: Session, status: str, at: datetime) -> None:
    """Mark the tenant due for the schedule that looks after jobs in `status` (if any), from `at`."""
    if status in ("pending", "unknown_outcome"):
        mark_due(session, "jobs", at)
    elif status == "waiting_extension":
        mark_due(session, "lane", at)


def _due_after(session: Session, values: dict[str, Any]) -> None:
    at = values.get("next_attempt_at") or values.get("updated_at") or datetime.now(UTC)
    due(session, values["status"], at)


def claim(
    session: Session, job_id: int, now: datetime, attempt_timeout: timedelta, *, dashboards_of: int | None = None
) -> MarketplaceJob | None:
    """pending -> running, one more attempt (one atomic UPDATE; None: nothing to claim).
    `dashboards_of`: read that tenant's dashboards with it (for the notifier)."""
    return repository.claim(session, job_id, now, attempt_timeout, dashboards_of=dashboards_of)


def finish(
    session: Session, job_id: int, attempt: int, values: dict[str, Any], *, dashboards_of: int | None = None
) -> MarketplaceJob | None:
    """The end of a running attempt (None: that attempt no longer owns the job)."""
    _check(["running"], values["status"])
    job = _after(session, repository.finish(session, job_id, attempt, values, dashboards_of=dashboards_of))
    if job is not None:
        _due_after(session, values)
    return job


def settle(
    session: Session, job_id: int, from_statuses: Sequence[str], values: dict[str, Any]
) -> MarketplaceJob | None:
    """Move a job that is in one of `from_statuses` (None: it is not, any more)."""
    _check(from_statuses, values["status"])
    job = _after(session, repository.settle(session, job_id, from_statuses, values))
    if job is not None:
        _due_after(session, values)
    return job


def _after(session: Session, job: MarketplaceJob | None) -> MarketplaceJob | None:
    """A job that asked for it (input "alert_on_failure": a delist of a sold item) raises the
    seller's alert when it fails for good, in the same transaction, whoever settles it (the
    worker after its retries, the extension's lane, the maintenance schedule)."""
    if job is not None and job.status == "failed" and (job.input or {}).get("alert_on_failure"):
        # Here rather than at the top: every function that moves jobs imports this module, and
        # alerts bring the identity and sales models, which only this rare path needs.
        from stoflow.realtime.alerts import deliver_after
        from stoflow.repositories import alerts

        alerts.raise_alert(
            session,
            kind="delist_failed",
            dedupe_key=f"job_failed:{job.id}",
            message=(
                f"Product {job.product_id} is sold but its {job.marketplace} listing could not be taken down "
                f"({job.error_code}: {job.error_message}). Remove it on {job.marketplace} now."
            ),
            product_id=job.product_id,
            sale_id=(job.input or {}).get("sale_id"),
            job_id=job.id,
            marketplace=job.marketplace,
        )
        deliver_after(session)
    return job


def note(job: MarketplaceJob, **values: Any) -> None:
    """Change what a parked job says (its code, message, deadline) without moving it; the caller
    holds the row locked."""
    unknown = set(values) - NOTE_COLUMNS
    if unknown:
        raise IllegalTransition(f"a note may not change {sorted(unknown)}")
    _check([job.status], job.status)
    for column, value in values.items():
        setattr(job, column, value)


def request_cancel(job: MarketplaceJob) -> None:
    """Ask the running attempt to stop (it checks before each side effect)."""
    if job.status in FINAL_STATUSES:
        raise IllegalTransition(f"job {job.id} is already {job.status}")
    job.cancel_requested = True
