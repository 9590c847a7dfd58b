"""What an extension's answer (or its silence) does to a Vinted job: completed, retried with
backoff, failed, or unknown and reconciled by a read. Every change goes through
stoflow.jobs.transitions; the lane (stoflow.marketplaces.vinted.lane) decides only which job goes
next and when, and hands the answers here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.config import Settings
from stoflow.jobs import transitions
from stoflow.jobs.errors import PermanentJobError
from stoflow.jobs.handlers import JobOutcome
from stoflow.jobs.notifier import JobStatusEvent
from stoflow.jobs.processor import HISTORY_ACTIONS, RetryPolicy, record_final, status_event
from stoflow.marketplaces.vinted.commands import may_repeat
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.products import Product
from stoflow.repositories import jobs as jobs_repository

RETRYABLE_CODES = frozenset(
    {
        "datadome",
        "rate_limited",
        "captcha",
        "paused",
        "vinted_unavailable",
        "network_error",
        "deadline_passed",
        "vinted_logged_out",
        "photo_unavailable",
        "extension_error",
    }
)
UNKNOWN_CODES = frozenset({"unknown_outcome"})
# The browser could not run the command (no Vinted tab, the page did not answer): Vinted never
# saw it, so no attempt is spent. The job waits for the extension, offered again when it reports
# a Vinted session or says hello, or after `vinted_page_wait_s`.
PAGE_WAIT_CODE = "vinted_page_unavailable"
PAGE_UNAVAILABLE_CODES = frozenset({"page_unavailable", "extension_offline"})
# Parked, attempts untouched, while the account is paused or its Vinted session logged out.
PAUSED_CODE = "vinted_paused"
LOGGED_OUT_CODE = "vinted_logged_out"

# What the seller reads for each way a command can be held back: plain words, never a browser's
# internal text (the extension's own message is logged, not shown).
PLAIN_WORDS = {
    "page_unavailable": (
        "Waiting for your browser: the Vinted page could not be reached (no Vinted tab, or the page did "
        "not load). Open Vinted in Chrome and log in; no attempt was spent."
    ),
    "network_error": (
        "Waiting for your browser: the connection to Vinted dropped before Vinted answered. It will be "
        "tried again; no attempt was spent."
    ),
    "extension_offline": (
        "Waiting for your browser: the StoFlow extension is not connected. Open Chrome with the extension; "
        "no attempt was spent."
    ),
    PAUSED_CODE: (
        "Waiting: Vinted showed a sign of trouble, so StoFlow paused all Vinted work for your account. "
        "It will be sent after the pause, once you confirm in StoFlow that your Vinted session is fine."
    ),
    LOGGED_OUT_CODE: ("Waiting: your Vinted session is logged out. Log in to Vinted in Chrome; it will be sent then."),
    "vinted_queued": "Queued for the browser extension (Vinted work is paced to keep your account safe).",
}


class JobOutcomes:
    """The job side of one tenant's Vinted lane (in the lane's transaction, its row locked)."""

    def __init__(self, tenant_id: int, *, clock: Callable[[], datetime], settings: Settings) -> None:
        self.tenant_id = tenant_id
        self.clock = clock
        self.settings = settings

    def settle(
        self,
        session: Session,
        job: MarketplaceJob,
        from_statuses: list[str],
        values: dict[str, Any],
        events: list[JobStatusEvent],
    ) -> MarketplaceJob | None:
        now = self.clock()
        values = {"updated_at": now, **values}
        if values.get("status") in ("completed", "failed", "cancelled", "unknown_outcome"):
            values.setdefault("finished_at", now)
        settled = transitions.settle(session, job.id, from_statuses, values)
        if settled is not None:
            record_final(session, settled)
            events.append(status_event(self.tenant_id, settled))
        return settled

    def history(self, session: Session, job: MarketplaceJob, outcome: JobOutcome | None) -> None:
        if job.action in HISTORY_ACTIONS:
            jobs_repository.record_history(
                session,
                product_id=job.product_id,
                job_id=job.id,
                marketplace="vinted",
                action=job.action,
                outcome=job.status,
                error_code=job.error_code,
                external_id=outcome.external_id if outcome else None,
                details={"attempt": job.attempts, "url": outcome.listing_url if outcome else None},
            )

    def queue_reconcile(self, session: Session, job: MarketplaceJob) -> None:
        from stoflow.jobs.service import JobRequest, enqueue_in_session

        enqueue_in_session(
            session,
            self.tenant_id,
            JobRequest(
                "vinted",
                "reconcile",
                product_ids=[job.product_id] if job.product_id else [],
                params={"job_id": job.id},
                priority=5,
            ),
            job_keys=[f"reconcile:{job.id}:{job.attempts}"],
            validate=False,
        )

    def retry(
        self,
        session: Session,
        job: MarketplaceJob,
        code: str,
        message: str,
        retry_after_s: float | None,
        events: list[JobStatusEvent],
        from_statuses: tuple[str, ...] = ("waiting_extension",),
    ) -> str:
        now = self.clock()
        if job.attempts >= job.max_attempts:
            self.settle(
                session,
                job,
                list(from_statuses),
                {
                    "status": "failed",
                    "error_code": code[:64],
                    "error_message": f"{message} (after {job.attempts} attempts)"[:2000],
                },
                events,
            )
            return "failed"
        settings = self.settings
        policy = RetryPolicy(settings.jobs_backoff_base_s, settings.jobs_backoff_max_s)
        delay = policy.delay(job.attempts, retry_after_s)
        self.settle(
            session,
            job,
            list(from_statuses),
            {
                "status": "pending",
                "error_code": code[:64],
                "error_message": message[:2000],
                "next_attempt_at": now + timedelta(seconds=delay),
                "message_sent_at": None,
                "deadline_at": None,
            },
            events,
        )
        return "pending"

    def succeeded(
        self,
        session: Session,
        job: MarketplaceJob,
        from_statuses: list[str],
        command: str,
        data: dict[str, Any],
        now: datetime,
        events: list[JobStatusEvent],
    ) -> str:
        """A job_result that succeeded: what the answer changes, then the job completed (or
        failed, when the answer is sound but the job's goal cannot be reached)."""
        from stoflow.marketplaces.vinted.results import apply_success

        outcome: JobOutcome | None = None
        try:
            outcome = apply_success(session, self.tenant_id, job, command, data, now)
        except PermanentJobError as exc:  # a sound answer, but the job's goal cannot be reached
            settled = self.settle(
                session,
                job,
                from_statuses,
                {"status": "failed", "error_code": exc.code[:64], "error_message": exc.message[:2000]},
                events,
            )
            if settled is not None:
                self.history(session, settled, None)
            status = "failed"
        if outcome is not None:
            if job.action == "reconcile":
                self.apply_reconcile(session, job, command, now, events)
            status = self.complete_job(session, job, from_statuses, outcome, events)
        return status

    def complete_job(
        self,
        session: Session,
        job: MarketplaceJob,
        from_statuses: list[str],
        outcome: JobOutcome,
        events: list[JobStatusEvent],
    ) -> str:
        now = self.clock()
        settled = self.settle(
            session,
            job,
            from_statuses,
            {
                "status": "completed",
                "result": outcome.result,
                "error_code": None,
                "error_message": None,
                "deadline_at": None,
            },
            events,
        )
        if settled is None:
            return "duplicate"
        self.history(session, settled, outcome)
        if settled.product_id is not None and outcome.listing_status is not None:
            jobs_repository.upsert_listing(
                session,
                settled.product_id,
                "vinted",
                status=outcome.listing_status,
                external_id=outcome.external_id,
                url=outcome.listing_url,
                last_job_id=settled.id,
                last_error=None,
            )
        if settled.action == "publish" and outcome.listing_status == "listed" and settled.product_id is not None:
            product = session.get(Product, settled.product_id)
            if product is not None and product.status == "draft":
                product.status = "published"
                product.published_at = now
        return "completed"

    def fail(
        self,
        session: Session,
        job: MarketplaceJob,
        from_statuses: list[str],
        code: str,
        message: str,
        retry_after_s: float | None,
        events: list[JobStatusEvent],
    ) -> str:
        """A job_result that failed: retried, unknown (reconciled by a read, or run again when it
        may repeat), or failed."""
        if code in RETRYABLE_CODES:
            return self.retry(session, job, code, message, retry_after_s, events, tuple(from_statuses))
        if code in UNKNOWN_CODES:
            settled = self.settle(
                session,
                job,
                from_statuses,
                {"status": "unknown_outcome", "error_code": code, "error_message": message},
                events,
            )
            if settled is not None:
                self.history(session, settled, None)
                if settled.action in ("publish", "send_message"):
                    self.queue_reconcile(session, settled)
                else:  # an update or delete may simply run again
                    return self.retry(session, settled, code, message, None, events, ("unknown_outcome",))
            return "unknown_outcome"
        settled = self.settle(
            session, job, from_statuses, {"status": "failed", "error_code": code, "error_message": message}, events
        )
        if settled is not None:
            self.history(session, settled, None)
        return "failed"

    def wait_for_page(
        self,
        session: Session,
        job: MarketplaceJob,
        from_statuses: list[str],
        reason: str,
        now: datetime,
        events: list[JobStatusEvent],
    ) -> str:
        """The browser could not reach Vinted (no page, a dropped connection): park the job,
        attempts untouched, and say so in plain words (`reason` is the extension's code)."""
        wait = timedelta(seconds=self.settings.vinted_page_wait_s)
        self.settle(
            session,
            job,
            from_statuses,
            {
                "status": "waiting_extension",
                "error_code": PAGE_WAIT_CODE,
                "error_message": PLAIN_WORDS.get(reason, PLAIN_WORDS["page_unavailable"]),
                "next_attempt_at": now + wait,
                "deadline_at": None,
            },
            events,
        )
        return "waiting_extension"

    def park(
        self, session: Session, job: MarketplaceJob, from_statuses: list[str], code: str, events: list[JobStatusEvent]
    ) -> str:
        """Back in the lane's queue, attempts untouched: Vinted never ran it (a pause, a logged-out
        session, the extension's own pacing); the lane sends it when the account may go again."""
        self.settle(
            session,
            job,
            from_statuses,
            {
                "status": "waiting_extension",
                "error_code": code,
                "error_message": PLAIN_WORDS[code],
                "next_attempt_at": None,
                "deadline_at": None,
            },
            events,
        )
        return "waiting_extension"

    def missed_deadline(
        self, session: Session, job: MarketplaceJob, attempt: int | None, command: str, events: list[JobStatusEvent]
    ) -> None:
        """The extension never answered the command sent for this attempt."""
        message = f"no answer from the extension before the deadline (attempt {attempt}, {command})"
        if may_repeat(command):
            self.retry(session, job, "extension_timeout", message, None, events)
            return
        settled = self.settle(
            session,
            job,
            ["waiting_extension"],
            {"status": "unknown_outcome", "error_code": "extension_timeout", "error_message": message},
            events,
        )
        if settled is not None:
            self.history(session, settled, None)
            self.queue_reconcile(session, settled)

    def apply_reconcile(
        self, session: Session, job: MarketplaceJob, command: str, now: datetime, events: list[JobStatusEvent]
    ) -> None:
        """A reconcile read finished: settle the unknown_outcome job it was about."""
        from stoflow.marketplaces.vinted.commands import listed_item

        target = jobs_repository.get_job(session, int(job.input["job_id"]), for_update=True)
        if target is None or target.status != "unknown_outcome":
            return
        if target.action == "publish":
            item = listed_item(session, target.product_id)
            if item is None:
                found = _find_by_title(session, target)
                if found is not None:
                    found.product_id = target.product_id
                    item = found
            if item is not None:
                outcome = JobOutcome(
                    result={"item_id": item.vinted_item_id, "reconciled": True},
                    external_id=str(item.vinted_item_id),
                    listing_url=item.url,
                    listing_status="listed",
                )
                self.complete_job(session, target, ["unknown_outcome"], outcome, events)
            else:  # the read proves it never happened: safe to publish again
                self.retry(
                    session,
                    target,
                    "reconciled_not_found",
                    "the item is not on Vinted: publishing again",
                    None,
                    events,
                    ("unknown_outcome",),
                )
        elif target.action == "send_message":
            # The conversation's messages were just stored; look for ours among them.
            from stoflow.models.vinted import VintedConversation

            conv = session.scalars(
                select(VintedConversation).where(
                    VintedConversation.conversation_id == target.input.get("conversation_id")
                )
            ).first()
            body = str(target.input.get("body", "")).strip()
            if conv is not None and any(m.get("body") == body for m in conv.messages or []):
                self.complete_job(session, target, ["unknown_outcome"], JobOutcome(result={"reconciled": True}), events)
            else:
                self.retry(
                    session,
                    target,
                    "reconciled_not_found",
                    "the message is not in the conversation",
                    None,
                    events,
                    ("unknown_outcome",),
                )


def _find_by_title(session: Session, job: MarketplaceJob) -> Any:
    from stoflow.models.vinted import VintedProduct

    product = session.get(Product, job.product_id) if job.product_id else None
    if product is None:
        return None
    return session.scalars(
        select(VintedProduct).where(
            VintedProduct.product_id.is_(None),
            VintedProduct.deleted_at.is_(None),
            VintedProduct.title == " ".join(product.title.split())[:100],
        )
    ).first()
