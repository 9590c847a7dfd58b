"""MarketplaceJobProcessor: claim a job once, run its handler, record what happened (each state
change through stoflow.jobs.transitions).

Three short transactions per job, never one held across a marketplace call:
1. claim (one atomic UPDATE; a duplicate delivery claims nothing),
2. the handler's own work (its own sessions, through JobContext),
3. finish (a guarded UPDATE that only the claiming attempt can make, with the batch counters,
   publication history and listing state in the same transaction).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stoflow import runtime
from stoflow.db.tenancy import tenant_session
from stoflow.jobs import transitions
from stoflow.jobs.deadline import running_until
from stoflow.jobs.errors import (
    JobCancelled,
    PermanentJobError,
    RetryableJobError,
    UnknownOutcomeError,
    WaitingForExtension,
)
from stoflow.jobs.handlers import HandlerRegistry, JobContext, JobOutcome, JobSnapshot
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.notifier import NOTIFIER, JobStatusEvent, notify
from stoflow.models.jobs import FINAL_STATUSES, MarketplaceJob
from stoflow.models.products import Product
from stoflow.observability import count_job, metric, subsegment
from stoflow.repositories import jobs as repository

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Actions whose outcome is written to publication_history.
HISTORY_ACTIONS = frozenset({"publish", "update", "delete", "delist"})


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 30.0
    max_s: float = 3600.0

    def delay(self, attempt: int, retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
        """Exponential backoff with jitter (half to full of the step), never sooner than the
        marketplace's Retry-After."""
        step = min(self.max_s, self.base_s * 2 ** max(0, attempt - 1))
        delay = step * (rng or random).uniform(0.5, 1.0)
        return max(delay, retry_after_s or 0.0)


def snapshot_of(tenant_id: int, job: MarketplaceJob) -> JobSnapshot:
    return JobSnapshot(
        id=job.id,
        tenant_id=tenant_id,
        marketplace=job.marketplace,
        action=job.action,
        product_id=job.product_id,
        batch_id=job.batch_id,
        attempt=job.attempts,
        max_attempts=job.max_attempts,
        input=dict(job.input or {}),
        deadline=job.deadline_at,
        needs_reconcile=job.needs_reconcile,
    )


def status_event(tenant_id: int, job: MarketplaceJob) -> JobStatusEvent:
    return JobStatusEvent(
        tenant_id=tenant_id,
        job_id=job.id,
        batch_id=job.batch_id,
        marketplace=job.marketplace,
        action=job.action,
        product_id=job.product_id,
        status=job.status,
        attempts=job.attempts,
        error_code=job.error_code,
        error_message=job.error_message,
    )


def _dashboards_of(tenant_id: int) -> int | None:
    """The tenant whose dashboards the claim or finish reads with the job, if the notifier pushes
    to them: one round trip for both."""
    return tenant_id if runtime.get(NOTIFIER).reads_dashboards else None


def record_final(session: Session, job: MarketplaceJob) -> None:
    """Batch counters for a job that just reached a final status (same transaction as the job)."""
    if job.batch_id is not None and job.status in FINAL_STATUSES:
        repository.count_final(session, job.batch_id, job.status)


class MarketplaceJobProcessor:
    def __init__(
        self,
        registry: HandlerRegistry,
        *,
        engine: Engine | None = None,
        clock: Clock = utcnow,
        retry: RetryPolicy | None = None,
        attempt_timeout_s: int = 300,
    ) -> None:
        self.registry = registry
        self.engine = engine
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.attempt_timeout = timedelta(seconds=attempt_timeout_s)

    def _session(self, tenant_id: int) -> Any:
        return tenant_session(tenant_id, engine=self.engine)

    def time_needed_s(self, marketplace: str) -> float:
        """What one job of `marketplace` may take at most (its handlers' longest timeout)."""
        return float(self.registry.longest_timeout_s(marketplace))

    def process(self, message: JobMessage, *, time_left_s: float | None = None) -> str:
        """Run the job a message points at; returns the job's resulting status, or 'skipped'.

        The handler runs until its declared timeout, or `time_left_s` if shorter (what the
        invocation has left once the outcome is recorded); past it, no marketplace call starts.
        Raises only when the job's state could not be read or recorded (the database is down, the
        tenant is unknown): the message then goes back to the queue and, in the end, to the DLQ."""
        tenant_id, job_id = message.tenant_id, message.job_id
        now = self.clock()
        with subsegment("job.claim"), self._session(tenant_id) as session:
            job = transitions.claim(session, job_id, now, self.attempt_timeout, dashboards_of=_dashboards_of(tenant_id))
            if job is None:
                return self._settle_unclaimable(session, tenant_id, job_id, now)
            snapshot = snapshot_of(tenant_id, job)
            notify(session, status_event(tenant_id, job))

        handler = self.registry.get(snapshot.marketplace, snapshot.action)
        if handler is None:
            return self._finish(snapshot, "failed", error=("no_handler", "no handler for this marketplace and action"))
        context = JobContext(
            job=snapshot,
            session=lambda: self._session(tenant_id),
            cancel_requested=lambda: self._cancel_requested(tenant_id, job_id),
        )
        allowed_s = float(handler.timeout_s) if time_left_s is None else min(float(handler.timeout_s), time_left_s)
        started = time.perf_counter()
        try:
            with (
                running_until(allowed_s),
                subsegment("job.run", marketplace=snapshot.marketplace, action=snapshot.action),
            ):
                reconcile = getattr(handler, "reconcile", None)
                found = None
                if snapshot.needs_reconcile and reconcile is not None:
                    # The last write's fate is unknown: read first, and write again only if it never landed.
                    found = reconcile(context)
                outcome = found if found is not None else handler.run(context)
        except JobCancelled as exc:
            return self._finish(snapshot, "cancelled", error=(exc.code, exc.message))
        except WaitingForExtension as exc:
            return self._finish(snapshot, "waiting_extension", error=(exc.code, exc.message))
        except UnknownOutcomeError as exc:
            return self._finish(snapshot, "unknown_outcome", error=(exc.code, exc.message))
        except PermanentJobError as exc:
            return self._finish(snapshot, "failed", error=(exc.code, exc.message))
        except RetryableJobError as exc:
            return self._retry_or_fail(snapshot, exc.code, exc.message, exc.retry_after_s)
        except Exception as exc:  # a handler bug: recorded on the job, retried like a transient error
            log.exception("job %s (%s %s) raised", job_id, snapshot.marketplace, snapshot.action)
            return self._retry_or_fail(snapshot, "internal_error", f"{type(exc).__name__}: {exc}", None)
        if snapshot.action == "publish":
            elapsed_ms = (time.perf_counter() - started) * 1000
            metric("PublishDuration", elapsed_ms, "Milliseconds", marketplace=snapshot.marketplace)
        return self._finish(snapshot, "completed", outcome=outcome)

    def _cancel_requested(self, tenant_id: int, job_id: int) -> bool:
        with self._session(tenant_id) as session:
            return repository.is_cancel_requested(session, job_id)

    def _settle_unclaimable(self, session: Session, tenant_id: int, job_id: int, now: datetime) -> str:
        """Nothing to claim: say why, and settle a pending job that was cancelled or has expired."""
        job = repository.get_job(session, job_id, for_update=True)
        if job is None:
            log.warning("message for job %s of tenant %s: no such job", job_id, tenant_id)
            return "skipped"
        if job.status == "pending" and job.cancel_requested:
            settled = transitions.settle(
                session,
                job_id,
                ["pending"],
                {
                    "status": "cancelled",
                    "finished_at": now,
                    "error_code": "cancelled",
                    "error_message": "cancelled before it ran",
                    "updated_at": now,
                },
            )
        elif job.status == "pending" and job.expires_at is not None and job.expires_at <= now:
            settled = transitions.settle(
                session,
                job_id,
                ["pending"],
                {
                    "status": "failed",
                    "finished_at": now,
                    "error_code": "expired",
                    "error_message": "the job expired before it could run",
                    "updated_at": now,
                },
            )
        else:
            # A duplicate delivery (running or finished), or a retry not yet due (the sweeper will
            # send it when it is).
            log.info("job %s of tenant %s not claimable (%s): duplicate or not due", job_id, tenant_id, job.status)
            return "skipped"
        if settled is not None:
            record_final(session, settled)
            notify(session, status_event(tenant_id, settled))
            session.commit()
            return settled.status
        return "skipped"

    def _retry_or_fail(self, snapshot: JobSnapshot, code: str, message: str, retry_after_s: float | None) -> str:
        now = self.clock()
        if snapshot.attempt >= snapshot.max_attempts:
            return self._finish(snapshot, "failed", error=(code, f"{message} (after {snapshot.attempt} attempts)"))
        next_at = now + timedelta(seconds=self.retry.delay(snapshot.attempt, retry_after_s))
        return self._finish(
            snapshot,
            "pending",
            error=(code, message),
            extra={"next_attempt_at": next_at, "message_sent_at": None, "deadline_at": None},
        )

    def _finish(
        self,
        snapshot: JobSnapshot,
        status: str,
        *,
        outcome: JobOutcome | None = None,
        error: tuple[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = self.clock()
        # Once an attempt ends any other way than unknown, the earlier write's fate is settled.
        values: dict[str, Any] = {"status": status, "updated_at": now, "needs_reconcile": status == "unknown_outcome"}
        if status in FINAL_STATUSES or status == "unknown_outcome":
            values["finished_at"] = now
        if outcome is not None:
            values.update(result=outcome.result, error_code=None, error_message=None)
        if error is not None:
            values.update(error_code=error[0][:64], error_message=error[1][:2000])
        values.update(extra or {})

        with subsegment("job.finish"), self._session(snapshot.tenant_id) as session:
            job = transitions.finish(
                session, snapshot.id, snapshot.attempt, values, dashboards_of=_dashboards_of(snapshot.tenant_id)
            )
            if job is None:
                log.warning(
                    "attempt %s of job %s no longer owns it (reaped or settled); its %s result is dropped",
                    snapshot.attempt,
                    snapshot.id,
                    status,
                )
                return "lost"
            record_final(session, job)
            self._record_effects(session, job, outcome, now)
            notify(session, status_event(snapshot.tenant_id, job))
        count_job(status, snapshot.marketplace, snapshot.action)
        return status

    def _record_effects(self, session: Session, job: MarketplaceJob, outcome: JobOutcome | None, now: datetime) -> None:
        """Publication history, the product's listing state, and a draft becoming published."""
        if job.action in HISTORY_ACTIONS and job.status in ("completed", "failed", "unknown_outcome"):
            repository.record_history(
                session,
                product_id=job.product_id,
                job_id=job.id,
                marketplace=job.marketplace,
                action=job.action,
                outcome=job.status,
                error_code=job.error_code,
                external_id=outcome.external_id if outcome else None,
                details={"attempt": job.attempts, "url": outcome.listing_url if outcome else None},
            )
        if outcome is None or job.product_id is None:
            return
        if outcome.listing_status is not None:
            repository.upsert_listing(
                session,
                job.product_id,
                job.marketplace,
                status=outcome.listing_status,
                external_id=outcome.external_id,
                url=outcome.listing_url,
                last_job_id=job.id,
                last_error=None,
            )
        if job.action == "publish" and outcome.listing_status == "listed":
            product = session.scalars(select(Product).where(Product.id == job.product_id)).first()
            if product is not None and product.status == "draft":
                product.status = "published"
                product.published_at = now
