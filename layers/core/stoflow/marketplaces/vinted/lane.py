"""The per-tenant Vinted command lane: which parked job goes to the extension next, and when.

A Vinted job is claimed by the worker like any other; its handler checks it can be built and
parks it in `waiting_extension` (code `vinted_queued`, or `extension_offline` when no extension
has said hello). The lane then sends it as `execute_job` when all of these hold:

- an extension connection of the tenant has said hello;
- no other command is in flight (vinted_connection.inflight_*, the row locked FOR UPDATE);
- the randomised gap after the previous command has passed (next_command_at);
- no pause is on (paused_until: doubling after DataDome, 429 or a captcha 403).

The lane runs on the extension's hello and heartbeats, on each job_result, and every minute
(the scheduled tick). A job_result completes the job once per (job, attempt). A missed deadline
retries a read or a repeatable write (update, delete) and makes any other write
`unknown_outcome`, with a `reconcile` job queued to find out by a read.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.jobs.errors import PermanentJobError
from stoflow.jobs.handlers import JobOutcome
from stoflow.jobs.notifier import JobStatusEvent, notify
from stoflow.jobs.processor import HISTORY_ACTIONS, RetryPolicy, record_final, status_event
from stoflow.marketplaces.vinted.commands import build_command, is_read, may_repeat
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.products import Product
from stoflow.models.realtime import WsConnection
from stoflow.models.vinted import VintedConnection
from stoflow.repositories import jobs as jobs_repository

log = logging.getLogger(__name__)

PARKED_CODES = ("vinted_queued", "extension_offline")
SENT_CODE = "sent_to_extension"
# What the extension may answer, and what it means for the job.
PAUSING_CODES = frozenset({"datadome", "rate_limited", "captcha"})
RETRYABLE_CODES = frozenset(
    {
        "datadome",
        "rate_limited",
        "captcha",
        "paused",
        "vinted_unavailable",
        "network_error",
        "page_unavailable",
        "deadline_passed",
        "vinted_logged_out",
        "photo_unavailable",
        "extension_error",
    }
)
UNKNOWN_CODES = frozenset({"unknown_outcome"})
LOGGED_OUT_RETRY_S = 600.0
# Progress pushes the deadline of a long read, up to this much after the command was sent.
PROGRESS_GRACE_S = 90
MAX_COMMAND_S = 20 * 60

Clock = Callable[[], datetime]


class Sender(Protocol):
    def send(self, connection_id: str, message: dict[str, Any]) -> bool: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def online_extension(tenant_id: int) -> str | None:
    """The tenant's most recently active extension connection that said hello, if any."""
    with shared_session() as session:
        return session.scalar(
            select(WsConnection.connection_id)
            .where(
                WsConnection.tenant_id == tenant_id,
                WsConnection.client == "extension",
                WsConnection.client_version.is_not(None),
            )
            .order_by(WsConnection.last_seen_at.desc())
            .limit(1)
        )


@dataclass
class Outgoing:
    connection_id: str
    job_id: int
    attempt: int
    message: dict[str, Any]


@dataclass
class Completion:
    """What a job_result did: 'completed', 'pending' (retry), 'failed', 'unknown_outcome', or
    'duplicate' when that (job, attempt) was already settled."""

    status: str
    job_id: int


class VintedLane:
    def __init__(
        self,
        tenant_id: int,
        *,
        engine: Engine | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.engine = engine
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 (pacing jitter, not a secret)
        self._sender = sender
        self.settings = get_settings()

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            from stoflow.realtime.connections import ConnectionsClient

            self._sender = ConnectionsClient()
        return self._sender

    def _session(self) -> Any:
        return tenant_session(self.tenant_id, engine=self.engine)

    @staticmethod
    def lock(session: Session) -> VintedConnection:
        """The tenant's lane row, created on first use, locked until the transaction ends."""
        statement = select(VintedConnection).where(VintedConnection.id == 1).with_for_update()
        row = session.scalars(statement).first()
        if row is None:
            session.execute(insert(VintedConnection).values(id=1).on_conflict_do_nothing())
            row = session.scalars(statement.execution_options(populate_existing=True)).one()
        return row

    def _timeout(self, command: str) -> timedelta:
        seconds = self.settings.vinted_read_timeout_s if is_read(command) else self.settings.vinted_write_timeout_s
        return timedelta(seconds=seconds)

    def _gap(self) -> timedelta:
        low, high = self.settings.vinted_gap_min_s, max(self.settings.vinted_gap_min_s, self.settings.vinted_gap_max_s)
        return timedelta(seconds=self.rng.uniform(low, high))

    def _settle(
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
        settled = jobs_repository.settle(session, job.id, from_statuses, values)
        if settled is not None:
            record_final(session, settled)
            events.append(status_event(self.tenant_id, settled))
        return settled

    def _history(self, session: Session, job: MarketplaceJob, outcome: JobOutcome | None) -> None:
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

    # --- sending ------------------------------------------------------------------------------

    def dispatch(self) -> int | None:
        """Send the next parked job if the lane allows it; returns the job id sent, if any."""
        connection_id = online_extension(self.tenant_id)
        events: list[JobStatusEvent] = []
        outgoing: Outgoing | None = None
        with self._session() as session:
            lane = self.lock(session)
            now = self.clock()
            self._expire_parked(session, now, events)
            if lane.inflight_job_id is not None:
                if lane.inflight_deadline_at is not None and lane.inflight_deadline_at > now:
                    return None
                self._missed_deadline(session, lane, now, events)
            if (
                connection_id is not None
                and not (lane.paused_until and lane.paused_until > now)
                and not (lane.next_command_at and lane.next_command_at > now)
            ):
                outgoing = self._next(session, lane, connection_id, now, events)
        for event in events:
            notify(event)
        if outgoing is None:
            return None
        try:
            delivered = self.sender.send(outgoing.connection_id, outgoing.message)
        except Exception:
            log.exception("execute_job for job %s could not be posted", outgoing.job_id)
            delivered = False
        if not delivered:
            self._unsend(outgoing)
            return None
        return outgoing.job_id

    def _next(
        self, session: Session, lane: VintedConnection, connection_id: str, now: datetime, events: list[JobStatusEvent]
    ) -> Outgoing | None:
        for _ in range(20):  # jobs that cannot be built fail here and the next one is tried
            job = session.scalars(
                select(MarketplaceJob)
                .where(
                    MarketplaceJob.marketplace == "vinted",
                    MarketplaceJob.status == "waiting_extension",
                    MarketplaceJob.error_code.in_(PARKED_CODES),
                    MarketplaceJob.cancel_requested.is_(False),
                )
                .order_by(MarketplaceJob.priority.desc(), MarketplaceJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return None
            if job.expires_at is not None and job.expires_at <= now:
                self._settle(
                    session,
                    job,
                    ["waiting_extension"],
                    {"status": "failed", "error_code": "expired", "error_message": "the job expired before it ran"},
                    events,
                )
                continue
            try:
                command, request = build_command(session, job)
            except PermanentJobError as exc:
                settled = self._settle(
                    session,
                    job,
                    ["waiting_extension"],
                    {"status": "failed", "error_code": exc.code[:64], "error_message": exc.message[:2000]},
                    events,
                )
                if settled is not None:
                    self._history(session, settled, None)
                continue
            deadline = now + self._timeout(command)
            lane.inflight_job_id = job.id
            lane.inflight_attempt = job.attempts
            lane.inflight_command = command
            lane.inflight_connection_id = connection_id
            lane.inflight_deadline_at = deadline
            job.error_code = SENT_CODE
            job.error_message = f"sent to the extension as {command}"
            job.deadline_at = deadline
            job.updated_at = now
            session.flush()
            events.append(status_event(self.tenant_id, job))
            message = {
                "type": "execute_job",
                "job_id": job.id,
                "attempt": job.attempts,
                "command": command,
                "deadline": iso(deadline),
                "request": request,
            }
            return Outgoing(connection_id, job.id, job.attempts, message)
        return None

    def _expire_parked(self, session: Session, now: datetime, events: list[JobStatusEvent]) -> None:
        """Parked jobs past their expiry fail, extension or not (they would wait forever)."""
        for job in session.scalars(
            select(MarketplaceJob)
            .where(
                MarketplaceJob.marketplace == "vinted",
                MarketplaceJob.status == "waiting_extension",
                MarketplaceJob.error_code.in_(PARKED_CODES),
                MarketplaceJob.expires_at <= now,
            )
            .limit(100)
            .with_for_update(skip_locked=True)
        ):
            self._settle(
                session,
                job,
                ["waiting_extension"],
                {
                    "status": "failed",
                    "error_code": "expired",
                    "error_message": "no browser extension ran it before it expired",
                },
                events,
            )

    def _unsend(self, outgoing: Outgoing) -> None:
        """The post failed: nothing reached the extension, the job goes back to the lane's queue."""
        with self._session() as session:
            lane = self.lock(session)
            if lane.inflight_job_id == outgoing.job_id and lane.inflight_attempt == outgoing.attempt:
                self._clear(lane)
            job = jobs_repository.get_job(session, outgoing.job_id, for_update=True)
            if (
                job is not None
                and job.status == "waiting_extension"
                and job.error_code == SENT_CODE
                and job.attempts == outgoing.attempt
            ):
                job.error_code = "extension_offline"
                job.error_message = "the extension connection was gone; waiting for it to come back"
                job.updated_at = self.clock()

    @staticmethod
    def _clear(lane: VintedConnection) -> None:
        lane.inflight_job_id = None
        lane.inflight_attempt = None
        lane.inflight_command = None
        lane.inflight_connection_id = None
        lane.inflight_deadline_at = None

    # --- deadlines ----------------------------------------------------------------------------

    def _missed_deadline(
        self, session: Session, lane: VintedConnection, now: datetime, events: list[JobStatusEvent]
    ) -> None:
        job_id, attempt, command = lane.inflight_job_id, lane.inflight_attempt, lane.inflight_command or ""
        self._clear(lane)
        lane.next_command_at = now + self._gap()
        job = jobs_repository.get_job(session, job_id, for_update=True) if job_id else None
        if job is None or job.status != "waiting_extension" or job.error_code != SENT_CODE or job.attempts != attempt:
            return
        message = f"no answer from the extension before the deadline (attempt {attempt}, {command})"
        if may_repeat(command):
            self._retry(session, job, "extension_timeout", message, None, events)
            return
        settled = self._settle(
            session,
            job,
            ["waiting_extension"],
            {"status": "unknown_outcome", "error_code": "extension_timeout", "error_message": message},
            events,
        )
        if settled is not None:
            self._history(session, settled, None)
            self._queue_reconcile(session, settled)

    def _queue_reconcile(self, session: Session, job: MarketplaceJob) -> None:
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

    def _retry(
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
            self._settle(
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
        self._settle(
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

    # --- answers ------------------------------------------------------------------------------

    def progress(self, job_id: int, attempt: int, apply: Callable[[Session, str], None]) -> bool:
        """A job_progress page for the command in flight: stored, and the deadline pushed a little.
        False when that (job, attempt) is not the one in flight (late or foreign: ignored)."""
        with self._session() as session:
            lane = self.lock(session)
            if lane.inflight_job_id != job_id or lane.inflight_attempt != attempt or lane.inflight_command is None:
                return False
            apply(session, lane.inflight_command)
            now = self.clock()
            job = jobs_repository.get_job(session, job_id, for_update=True)
            started = (job.deadline_at - self._timeout(lane.inflight_command)) if job and job.deadline_at else now
            pushed = min(now + timedelta(seconds=PROGRESS_GRACE_S), started + timedelta(seconds=MAX_COMMAND_S))
            if lane.inflight_deadline_at is not None and pushed > lane.inflight_deadline_at:
                lane.inflight_deadline_at = pushed
                if job is not None:
                    job.deadline_at = pushed
        return True

    def complete(
        self, job_id: int, attempt: int, ok: bool, data: dict[str, Any] | None, error: dict[str, Any] | None
    ) -> Completion:
        """job_result: settle the job once for this (job, attempt); a repeat changes nothing."""
        from stoflow.marketplaces.vinted.results import apply_success

        events: list[JobStatusEvent] = []
        with self._session() as session:
            lane = self.lock(session)
            now = self.clock()
            command = lane.inflight_command
            if lane.inflight_job_id == job_id and lane.inflight_attempt == attempt:
                self._clear(lane)
                lane.next_command_at = now + self._gap()
            job = jobs_repository.get_job(session, job_id, for_update=True)
            sent = (
                job is not None
                and job.attempts == attempt
                and (
                    (job.status == "waiting_extension" and job.error_code == SENT_CODE)
                    or (job.status == "unknown_outcome" and job.error_code == "extension_timeout")
                )
            )
            if job is None or not sent:
                return Completion("duplicate", job_id)
            if command is None or lane.inflight_job_id is not None:
                command = build_command_name(job)
            from_statuses = [job.status]
            if ok:
                outcome: JobOutcome | None = None
                try:
                    outcome = apply_success(session, self.tenant_id, job, command, data or {}, now)
                except PermanentJobError as exc:  # a sound answer, but the job's goal cannot be reached
                    settled = self._settle(
                        session,
                        job,
                        from_statuses,
                        {"status": "failed", "error_code": exc.code[:64], "error_message": exc.message[:2000]},
                        events,
                    )
                    if settled is not None:
                        self._history(session, settled, None)
                    status = "failed"
                if outcome is not None:
                    if job.action == "reconcile":
                        self._apply_reconcile(session, job, command, now, events)
                    status = self._complete(session, job, from_statuses, outcome, events)
                if lane.pause_s and not (lane.paused_until and lane.paused_until > now):
                    lane.pause_s = 0
                    lane.pause_reason = None
            else:
                status = self._failed(session, lane, job, from_statuses, error or {}, now, events)
        for event in events:
            notify(event)
        return Completion(status, job_id)

    def _complete(
        self,
        session: Session,
        job: MarketplaceJob,
        from_statuses: list[str],
        outcome: JobOutcome,
        events: list[JobStatusEvent],
    ) -> str:
        now = self.clock()
        settled = self._settle(
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
        self._history(session, settled, outcome)
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

    def _failed(
        self,
        session: Session,
        lane: VintedConnection,
        job: MarketplaceJob,
        from_statuses: list[str],
        error: dict[str, Any],
        now: datetime,
        events: list[JobStatusEvent],
    ) -> str:
        code = str(error.get("code") or "extension_error")[:64]
        message = str(error.get("message") or code)[:500]
        retry_after = error.get("retry_after")
        retry_after_s = float(retry_after) if isinstance(retry_after, int | float) else None
        if code in PAUSING_CODES:
            self.pause(lane, code, retry_after_s, now)
            retry_after_s = max(retry_after_s or 0.0, (lane.paused_until - now).total_seconds())  # type: ignore[operator]
        if code == "vinted_logged_out":
            lane.logged_in = False
            lane.session_checked_at = now
            retry_after_s = max(retry_after_s or 0.0, LOGGED_OUT_RETRY_S)
        if code in RETRYABLE_CODES:
            return self._retry(session, job, code, message, retry_after_s, events, tuple(from_statuses))
        if code in UNKNOWN_CODES:
            settled = self._settle(
                session,
                job,
                from_statuses,
                {"status": "unknown_outcome", "error_code": code, "error_message": message},
                events,
            )
            if settled is not None:
                self._history(session, settled, None)
                if settled.action in ("publish", "send_message"):
                    self._queue_reconcile(session, settled)
                else:  # an update or delete may simply run again
                    return self._retry(session, settled, code, message, None, events, ("unknown_outcome",))
            return "unknown_outcome"
        settled = self._settle(
            session, job, from_statuses, {"status": "failed", "error_code": code, "error_message": message}, events
        )
        if settled is not None:
            self._history(session, settled, None)
        return "failed"

    def _apply_reconcile(
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
                self._complete(session, target, ["unknown_outcome"], outcome, events)
            else:  # the read proves it never happened: safe to publish again
                self._retry(
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
                self._complete(session, target, ["unknown_outcome"], JobOutcome(result={"reconciled": True}), events)
            else:
                self._retry(
                    session,
                    target,
                    "reconciled_not_found",
                    "the message is not in the conversation",
                    None,
                    events,
                    ("unknown_outcome",),
                )

    # --- pacing and session -------------------------------------------------------------------

    def pause(self, lane: VintedConnection, reason: str, retry_after_s: float | None, now: datetime) -> None:
        """Doubling pause: a new signal during a running pause does not double it again."""
        settings = self.settings
        if lane.paused_until is not None and lane.paused_until > now:
            extra = timedelta(seconds=retry_after_s or 0)
            if now + extra > lane.paused_until:
                lane.paused_until = now + extra
            return
        lane.pause_s = min(max(lane.pause_s * 2, settings.vinted_pause_base_s), settings.vinted_pause_max_s)
        lane.paused_until = now + timedelta(seconds=max(float(lane.pause_s), retry_after_s or 0.0))
        lane.pause_reason = reason[:32]
        if reason == "datadome":
            lane.last_datadome_at = now
        log.warning("vinted paused for tenant %s: %s until %s", self.tenant_id, reason, lane.paused_until)
        from stoflow.observability import metric

        metric("VintedPaused", 1, reason=lane.pause_reason)

    def datadome(self) -> datetime:
        with self._session() as session:
            lane = self.lock(session)
            now = self.clock()
            self.pause(lane, "datadome", None, now)
            lane.last_datadome_at = now
            assert lane.paused_until is not None
            return lane.paused_until

    def session_update(self, logged_in: bool, vinted_user_id: int | None, domain: str) -> None:
        with self._session() as session:
            lane = self.lock(session)
            lane.logged_in = logged_in
            lane.session_checked_at = self.clock()
            lane.domain = domain
            if vinted_user_id is not None:
                lane.vinted_user_id = vinted_user_id

    def hello(self) -> None:
        """The extension is here: parked jobs become sendable."""
        with self._session() as session:
            lane = self.lock(session)
            lane.last_hello_at = self.clock()
            for job in session.scalars(
                select(MarketplaceJob)
                .where(
                    MarketplaceJob.marketplace == "vinted",
                    MarketplaceJob.status == "waiting_extension",
                    MarketplaceJob.error_code == "extension_offline",
                )
                .with_for_update(skip_locked=True)
            ):
                job.error_code = "vinted_queued"
                job.error_message = "queued for the browser extension"


def build_command_name(job: MarketplaceJob) -> str:
    """The command a job's action maps to when the lane no longer remembers it (a late answer)."""
    return {
        "publish": "vinted.publish",
        "update": "vinted.update",
        "delete": "vinted.delete",
        "sync": "vinted.fetch_wardrobe",
        "orders": "vinted.fetch_orders",
        "messages": "vinted.fetch_conversations",
        "send_message": "vinted.send_message",
        "link": "vinted.get_item",
    }.get(job.action, "vinted.fetch_wardrobe" if job.action == "reconcile" else job.action)


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


def tick(engine: Engine | None = None, *, clock: Clock = utcnow) -> dict[str, int]:
    """Every minute: expire missed deadlines and send what can go, tenant by tenant."""
    from stoflow.db.engine import get_engine
    from stoflow.db.tenancy import registered_tenants

    engine = engine or get_engine()
    sent = errors = 0
    for tenant_id in registered_tenants(engine):
        try:
            if VintedLane(tenant_id, engine=engine, clock=clock).dispatch() is not None:
                sent += 1
        except Exception:  # one tenant's trouble never stops the others
            log.exception("vinted lane tick failed for tenant %s", tenant_id)
            errors += 1
    return {"sent": sent, "errors": errors}
