"""Scheduled clean-up of what has expired: OAuth states, identity tokens, rate-limit windows, and
image uploads that were handed a presigned POST and never completed (rows and S3 objects).

The tenant part (abandoned uploads) visits only the tenants the shared index of due work names
(kind "purge", marked when an upload is handed out), never every tenant schema.

Identity rows are kept a day past their expiry: an expired token is refused anyway, and the margin
keeps the answer to a late request the same ("expired", not "unknown") for a while."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from stoflow.db.engine import get_engine
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.marketplaces.common import oauth_state
from stoflow.repositories import housekeeping as repository

log = logging.getLogger(__name__)

GRACE = timedelta(days=1)


def purge_expired(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, Any]:
    engine = engine or get_engine()
    now = now or datetime.now(UTC)
    report: dict[str, Any] = {"oauth_states": oauth_state.purge_expired(engine=engine, now=now)}
    with shared_session(engine=engine) as session:
        report["refresh_tokens"] = repository.delete_refresh_tokens_expired_before(session, now - GRACE)
        report["verification_tokens"] = repository.delete_verification_tokens_expired_before(session, now - GRACE)
        report["rate_windows"] = repository.delete_rate_windows_started_before(session, now - GRACE)
    # Abandoned uploads: only the tenants that handed out an upload since (kind "purge"); the
    # count is of the tenants visited here (the job workers log theirs).
    from stoflow.jobs import due

    removed: list[int] = []

    def visit_here(tenant_id: int, at: datetime, engine: Engine | None) -> datetime | None:
        return visit_purge(tenant_id, at, engine, removed)

    run = due.run("purge", engine=engine, clock=lambda: now, visit_with=visit_here)
    report.update(abandoned_uploads=sum(removed), uploads_due=run.due, failed=run.errors)
    log.info("expired records purged: %s", report)
    return report


def visit_purge(
    tenant_id: int, now: datetime, engine: Engine | None = None, removed: list[int] | None = None
) -> datetime | None:
    """One tenant's abandoned uploads (rows now, S3 objects after commit); returns when its oldest
    upload still pending will count as abandoned."""
    from stoflow.services.images import ProductImageService

    with tenant_session(tenant_id, engine=engine) as session:
        images = ProductImageService(session, tenant_id)
        count = images.cleanup_abandoned_uploads()
        next_due = images.next_abandoned_at()
    if removed is not None:
        removed.append(count)
    return next_due
