"""The per-tenant Vinted command lane: which parked job goes to the extension next, and when.
Scheduling only: what an answer does to the job is stoflow.marketplaces.vinted.outcomes, and every
job state change goes through stoflow.jobs.transitions.

A Vinted job is claimed by the worker like any other; its handler checks it can be built and
parks it in `waiting_extension` (code `vinted_queued`, or `extension_offline` when no extension
has said hello). The lane then sends it as `execute_job` when all of these hold:

- an extension connection of the tenant has said hello;
- the Vinted session was not last reported logged out;
- no other command is in flight (vinted_connection.inflight_*, the row locked FOR UPDATE);
- no pause is on: not before paused_until, and not before the seller resumed
  (stoflow.marketplaces.vinted.pacing: >= 1 h after DataDome / captcha / 403 / 429, doubling);
- its kind's pacing allows it (pacing.slot: the gaps and the rolling hourly / daily caps). The
  first parked job, by priority then age, whose kind may go now is sent: a write waiting for its
  gap does not hold back a read.

execute_job carries the plan (pacing.Plan.for_extension): the extension keeps its own floors and
never goes faster than the slower of the two.

The lane runs on the extension's hello and heartbeats, on each job_result, and from the
scheduled tick when it is due (stoflow.marketplaces.vinted.lane_schedule). A job_result
completes the job once per (job, attempt). A missed deadline retries a read or a repeatable
write (update, delete) and makes any other write `unknown_outcome`, with a `reconcile` job queued to find out by a read.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.jobs import transitions
from stoflow.jobs.errors import PermanentJobError
from stoflow.jobs.notifier import JobStatusEvent, notify
from stoflow.jobs.processor import status_event
from stoflow.marketplaces.vinted import pacing
from stoflow.marketplaces.vinted.commands import build_command, is_read
from stoflow.marketplaces.vinted.outcomes import (
    LOGGED_OUT_CODE,
    PAGE_UNAVAILABLE_CODES,
    PAGE_WAIT_CODE,
    PAUSED_CODE,
    JobOutcomes,
)
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.realtime import WsConnection
from stoflow.models.vinted_account import VintedConnection
from stoflow.repositories import jobs as jobs_repository
from stoflow.repositories.due_work import mark_due

log = logging.getLogger(__name__)

# Parked and sendable as soon as the lane allows (the pause and the session are lane-wide checks).
PARKED_CODES = ("vinted_queued", "extension_offline", PAUSED_CODE, LOGGED_OUT_CODE)
SENT_CODE = "sent_to_extension"
# Vinted's first signs of trouble: the account pauses (pacing.pause), the job waits, unspent.
PAUSING_CODES = frozenset({"datadome", "rate_limited", "captcha", "forbidden"})
# The extension's own fence held the command back (its pause, its pacing): nothing reached Vinted.
HELD_CODES = frozenset({"paused", "paced"})
# Progress pushes the deadline of a long read, up to this much after the command was sent.
PROGRESS_GRACE_S = 90
MAX_COMMAND_S = 20 * 60

Clock = Callable[[], datetime]


class Sender(Protocol):
    def send(self, connection_id: str, message: dict[str, Any]) -> bool: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


def lane_time() -> datetime:
    # Looked up at each call, so a test may swap the module's utcnow for a simulated clock.
    return utcnow()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def online_extension(tenant_id: int, engine: Engine | None = None) -> str | None:
    """The tenant's most recently active extension connection that said hello, if any."""
    with shared_session(engine=engine) as session:
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
        clock: Clock | None = None,
        rng: random.Random | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.engine = engine
        self.clock = clock or lane_time
        self.rng = rng or random.Random()  # noqa: S311 (pacing jitter, not a secret)
        self._sender = sender
        self.settings = get_settings()
        self.plan = pacing.Plan.from_settings(self.settings)
        self.outcomes = JobOutcomes(tenant_id, clock=self.clock, settings=self.settings)
        self.extension_online = False

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

    def _ended(self, lane: VintedConnection, command: str | None, now: datetime) -> None:
        pacing.record_done(lane, pacing.kind_of(command) if command else None, now, self.plan, self.rng)

    # --- sending ------------------------------------------------------------------------------

    def dispatch(self) -> int | None:
        """Send the next parked job if the lane allows it; returns the job id sent, if any."""
        connection_id = online_extension(self.tenant_id, self.engine)
        self.extension_online = connection_id is not None  # read again by the lane's schedule
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
            if connection_id is not None and lane.logged_in is not False and not pacing.paused(lane, now):
                outgoing = self._next(session, lane, connection_id, now, events)
            for event in events:
                notify(session, event)
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
        may = [kind for kind in ("read", "write") if pacing.slot(lane, kind, now, self.plan) <= now]
        if not may:
            return None
        # Only the kinds whose pace allows them now: a write waiting for its gap holds no read back.
        actions = [action for action, kind in ACTION_KINDS.items() if kind in may]
        for _ in range(20):  # jobs that cannot be built fail here and the next one is tried
            job = session.scalars(
                select(MarketplaceJob)
                .where(
                    MarketplaceJob.marketplace == "vinted",
                    MarketplaceJob.status == "waiting_extension",
                    or_(
                        MarketplaceJob.error_code.in_(PARKED_CODES),
                        and_(MarketplaceJob.error_code == PAGE_WAIT_CODE, MarketplaceJob.next_attempt_at <= now),
                    ),
                    MarketplaceJob.cancel_requested.is_(False),
                    MarketplaceJob.action.in_(actions),
                )
                .order_by(MarketplaceJob.priority.desc(), MarketplaceJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return None
            if job.expires_at is not None and job.expires_at <= now:
                self.outcomes.settle(
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
                settled = self.outcomes.settle(
                    session,
                    job,
                    ["waiting_extension"],
                    {"status": "failed", "error_code": exc.code[:64], "error_message": exc.message[:2000]},
                    events,
                )
                if settled is not None:
                    self.outcomes.history(session, settled, None)
                continue
            deadline = now + self._timeout(command)
            pacing.record_sent(lane, pacing.kind_of(command), now, self.plan)
            lane.inflight_job_id = job.id
            lane.inflight_attempt = job.attempts
            lane.inflight_command = command
            lane.inflight_connection_id = connection_id
            lane.inflight_deadline_at = deadline
            transitions.note(
                job,
                error_code=SENT_CODE,
                error_message=f"sent to the extension as {command}",
                deadline_at=deadline,
                updated_at=now,
            )
            session.flush()
            events.append(status_event(self.tenant_id, job))
            message = {
                "type": "execute_job",
                "job_id": job.id,
                "attempt": job.attempts,
                "command": command,
                "deadline": iso(deadline),
                "request": request,
                "pacing": self.plan.for_extension(),
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
                MarketplaceJob.error_code.in_((*PARKED_CODES, PAGE_WAIT_CODE)),
                MarketplaceJob.expires_at <= now,
            )
            .limit(100)
            .with_for_update(skip_locked=True)
        ):
            self.outcomes.settle(
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
                transitions.note(
                    job,
                    error_code="extension_offline",
                    error_message="the extension connection was gone; waiting for it to come back",
                    updated_at=self.clock(),
                )

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
        self._ended(lane, command, now)
        job = jobs_repository.get_job(session, job_id, for_update=True) if job_id else None
        if job is None or job.status != "waiting_extension" or job.error_code != SENT_CODE or job.attempts != attempt:
            return
        self.outcomes.missed_deadline(session, job, attempt, command, events)

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
        events: list[JobStatusEvent] = []
        with self._session() as session:
            lane = self.lock(session)
            now = self.clock()
            command = lane.inflight_command
            if lane.inflight_job_id == job_id and lane.inflight_attempt == attempt:
                self._clear(lane)
                self._ended(lane, command, now)
            job = jobs_repository.get_job(session, job_id, for_update=True)
            sent = (
                job is not None
                and job.attempts == attempt
                and (
                    (job.status == "waiting_extension" and job.error_code == SENT_CODE)
                    or (job.status == "unknown_outcome" and job.error_code == "extension_timeout")
                )
            )
            # The lane is free again (or paused): its next step is due, whatever the answer.
            mark_due(session, "lane", now)
            if job is None or not sent:
                return Completion("duplicate", job_id)
            if command is None or lane.inflight_job_id is not None:
                command = build_command_name(job)
            from_statuses = [job.status]
            if ok:
                status = self.outcomes.succeeded(session, job, from_statuses, command, data or {}, now, events)
            else:
                status = self._failed(session, lane, job, from_statuses, error or {}, now, events)
            for event in events:
                notify(session, event)
        return Completion(status, job_id)

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
        # A late answer to a job already unknown_outcome keeps the retry path (it cannot park).
        parkable = job.status == "waiting_extension"
        if code in PAUSING_CODES:
            self.pause(lane, code, retry_after_s, now)
            if parkable:
                return self.outcomes.park(session, job, from_statuses, PAUSED_CODE, events)
        if code == "vinted_logged_out":
            lane.logged_in = False
            lane.session_checked_at = now
            if parkable:
                return self.outcomes.park(session, job, from_statuses, LOGGED_OUT_CODE, events)
        if code in HELD_CODES and parkable:
            if retry_after_s:
                lane.next_command_at = max(lane.next_command_at or now, now + timedelta(seconds=retry_after_s))
            return self.outcomes.park(session, job, from_statuses, "vinted_queued", events)
        # The browser never got an answer from Vinted (the extension reports a write whose answer
        # was lost as unknown_outcome, never as network_error): nothing to spend an attempt on.
        unreached = code in PAGE_UNAVAILABLE_CODES or code == "network_error"
        if unreached and parkable:
            return self.outcomes.wait_for_page(session, job, from_statuses, code, now, events)
        return self.outcomes.fail(session, job, from_statuses, code, message, retry_after_s, events)

    # --- pacing and session -------------------------------------------------------------------

    def pause(self, lane: VintedConnection, reason: str, retry_after_s: float | None, now: datetime) -> None:
        """Doubling pause (pacing.pause): a new signal during a running pause does not double it."""
        if reason == "datadome":
            lane.last_datadome_at = now
        if not pacing.pause(lane, reason, retry_after_s, now, self.plan):
            return
        log.warning("vinted paused for tenant %s: %s until %s", self.tenant_id, reason, lane.paused_until)
        from stoflow.observability import metric

        metric("VintedPaused", 1, reason=lane.pause_reason)

    def datadome(self) -> datetime:
        with self._session() as session:
            lane = self.lock(session)
            now = self.clock()
            self.pause(lane, "datadome", None, now)
            assert lane.paused_until is not None
            return lane.paused_until

    def resume(self) -> None:
        """The seller confirmed the Vinted session is fine: the lane goes again once the pause has
        also run out (whichever is later)."""
        with self._session() as session:
            pacing.resume(self.lock(session), self.clock())
            mark_due(session, "lane", self.clock())

    def session_update(self, logged_in: bool, vinted_user_id: int | None, domain: str) -> None:
        with self._session() as session:
            lane = self.lock(session)
            if logged_in:  # a session again: jobs parked for the page or the login may go
                self._wake_page_waiters(session)
                mark_due(session, "lane", self.clock())
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
            self._wake_page_waiters(session)
            mark_due(session, "lane", self.clock())
            for job in session.scalars(
                select(MarketplaceJob)
                .where(
                    MarketplaceJob.marketplace == "vinted",
                    MarketplaceJob.status == "waiting_extension",
                    MarketplaceJob.error_code == "extension_offline",
                )
                .with_for_update(skip_locked=True)
            ):
                transitions.note(job, error_code="vinted_queued", error_message="queued for the browser extension")

    def _wake_page_waiters(self, session: Session) -> None:
        """A Vinted page is back (a session report or a hello): waiting jobs may go now."""
        for job in session.scalars(
            select(MarketplaceJob)
            .where(
                MarketplaceJob.marketplace == "vinted",
                MarketplaceJob.status == "waiting_extension",
                MarketplaceJob.error_code == PAGE_WAIT_CODE,
            )
            .with_for_update(skip_locked=True)
        ):
            transitions.note(
                job, error_code="vinted_queued", error_message="queued for the browser extension", next_attempt_at=None
            )


ACTION_COMMANDS = {
    "publish": "vinted.publish",
    "update": "vinted.update",
    "delete": "vinted.delete",
    "hide": "vinted.hide",
    "unhide": "vinted.hide",
    "sync": "vinted.fetch_wardrobe",
    "orders": "vinted.fetch_orders",
    "messages": "vinted.fetch_conversations",
    "send_message": "vinted.send_message",
    "link": "vinted.get_item",
    "reconcile": "vinted.fetch_wardrobe",  # or the conversation: a read either way
}
ACTION_KINDS = {action: pacing.kind_of(command) for action, command in ACTION_COMMANDS.items()}


def build_command_name(job: MarketplaceJob) -> str:
    """The command a job's action maps to when the lane no longer remembers it (a late answer)."""
    return ACTION_COMMANDS.get(job.action, job.action)
