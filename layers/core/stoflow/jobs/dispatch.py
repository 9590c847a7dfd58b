"""Sending job messages, only after the jobs are committed.

No message without a job: messages go out from the session's after_commit hook, so a rolled-back
transaction sends nothing. No job without a message: if sending fails, message_sent_at is NULL
and the sweeper sends it later.

New jobs are stamped sent in the transaction that creates them (one transaction per request, not a
second one to stamp them after the send); a send that fails or is refused clears the stamp, and a
process that dies between the commit and the send leaves a stamp whose message never arrives:
the sweeper's lost-message rule sends it again (stoflow.repositories.jobs._message_lost).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stoflow.db.tenancy import after_unit_of_work, tenant_session
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.queue import get_queue
from stoflow.models.jobs import MarketplaceJob
from stoflow.repositories import jobs as repository

log = logging.getLogger(__name__)


def send_now(
    tenant_id: int,
    jobs: Sequence[tuple[int, str, int]],
    *,
    engine: Engine | None = None,
    stamped: datetime | None = None,
) -> int:
    """Send messages for (job id, marketplace, attempt) and mark them sent; returns how many went.
    `stamped`: the jobs were stamped sent at that moment already (send_after_commit), and only
    the stamps of the messages that did not go are cleared.

    A failure is logged, never raised: the jobs are committed and the sweeper resends whatever is
    left with message_sent_at NULL."""
    if not jobs:
        return 0
    now = stamped or datetime.now(UTC)
    stamp = int(now.timestamp() * 1000)
    messages = [
        (JobMessage(tenant_id, job_id, marketplace), f"{attempt}-{stamp}") for job_id, marketplace, attempt in jobs
    ]
    try:
        refused = {m.job_id for m in get_queue().send(messages)}
    except Exception:
        log.exception("sending %d job messages for tenant %s failed; the sweeper will resend", len(jobs), tenant_id)
        refused = {job_id for job_id, _, _ in jobs}
    else:
        if refused:
            log.warning(
                "the queue refused messages for jobs %s of tenant %s; the sweeper will resend",
                sorted(refused),
                tenant_id,
            )
    sent = [job_id for job_id, _, _ in jobs if job_id not in refused]
    if stamped is not None and not refused:
        return len(sent)  # stamped with their INSERT, and every one went: nothing to write
    try:
        with tenant_session(tenant_id, engine=engine) as session:
            if stamped is None:
                repository.mark_sent(session, sent, now)
            else:
                repository.unmark_sent(session, sorted(refused), stamped)
    except Exception:
        # Sent but not marked: the sweeper may send a duplicate later, which the claim absorbs;
        # stamped but not sent: the lost-message rule sends it again.
        log.exception("marking the messages of %d jobs of tenant %s failed", len(jobs), tenant_id)
    return len(sent)


def send_after_commit(session: Session, tenant_id: int, jobs: Sequence[MarketplaceJob], stamped: datetime) -> None:
    """Send these new jobs' messages once `session` commits; nothing if it rolls back. The jobs
    were written already stamped sent at `stamped` (see above)."""
    if not jobs:
        return
    messages = [(job.id, job.marketplace, job.attempts) for job in jobs]
    engine = session.info.get("base_engine")
    after_unit_of_work(session, lambda: send_now(tenant_id, messages, engine=engine, stamped=stamped))
