"""Scheduled clean-up of what has expired: OAuth states, identity tokens, rate-limit windows, and
image uploads that were handed a presigned POST and never completed (rows and S3 objects).

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
from stoflow.repositories import tenants as registry

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
    report["abandoned_uploads"] = 0
    report["failed"] = []
    with engine.connect() as connection, connection.begin():
        tenant_ids = [row.id for row in registry.list_all(connection)]
    from stoflow.services.images import ProductImageService

    for tenant_id in tenant_ids:
        try:
            with tenant_session(tenant_id, engine=engine) as session:
                report["abandoned_uploads"] += ProductImageService(session, tenant_id).cleanup_abandoned_uploads()
        except Exception as exc:  # one tenant's failure must not stop the others
            log.exception("abandoned upload clean-up failed for tenant %s", tenant_id)
            report["failed"].append({"tenant_id": tenant_id, "error": type(exc).__name__})
    log.info("expired records purged: %s", {k: v for k, v in report.items() if k != "failed"})
    return report
