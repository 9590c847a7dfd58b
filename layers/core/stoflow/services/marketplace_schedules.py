"""What the marketplace schedules do: queue an order-sync job for each connected marketplace of
the tenants whose orders check is due (the shared index of due work says which; the syncs run in
the job workers; the cadence is stoflow.domain.order_checks'), refresh tokens that expire soon, and sweep expired
OAuth states. One tenant's failure never stops the others."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from stoflow.config import get_settings
from stoflow.db.engine import get_engine
from stoflow.db.tenancy import tenant_session
from stoflow.domain import order_checks
from stoflow.marketplaces import registry as marketplaces
from stoflow.marketplaces.common import oauth_state
from stoflow.marketplaces.common.http import MarketplaceApiError
from stoflow.marketplaces.common.tokens import AccountTokens
from stoflow.repositories import tenants as registry

log = logging.getLogger(__name__)


@dataclass
class ScheduleReport:
    tenants: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"tenants": self.tenants, "done": self.done, "skipped": self.skipped, "failed": self.failed}


def _tenant_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection, connection.begin():
        return [row.id for row in registry.list_all(connection)]


def _order_syncs() -> dict[str, tuple[str, int]]:
    """{marketplace: (its order-sync action, its floor between two checks)}, from the descriptors,
    for the marketplaces whose action has a handler here."""
    from stoflow.services.jobs import registry as handlers

    return {
        m.name: (m.sync_action, m.min_order_check_s)
        for m in marketplaces.all_marketplaces()
        if m.sync_action is not None and handlers().get(m.name, m.sync_action) is not None
    }


def visit_orders(tenant_id: int, now: datetime, engine: Engine | None = None) -> datetime | None:
    """One tenant's due order checks (kind "orders" of due work): queue each connected
    marketplace's sync that is due; returns when the next one is (None: nothing to watch until a
    connection or a listing marks the tenant again)."""
    upcoming: list[datetime] = []
    with tenant_session(tenant_id, engine=engine) as session:
        for marketplace, (action, floor) in _order_syncs().items():
            if not marketplaces.is_connected(session, marketplace):
                continue
            order_checks.queue_if_due(session, tenant_id, marketplace, action, now, at_least_s=floor)
            next_due = order_checks.next_due(session, marketplace)
            if next_due is not None:
                # Queued already this minute (the heartbeat was first): looked at next minute.
                upcoming.append(max(next_due, now + timedelta(minutes=1)) if next_due <= now else next_due)
    return min(upcoming) if upcoming else None


def fan_out_order_syncs(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The order-sync schedule: the tenants whose checks are due (the shared index of due work,
    kind "orders"), never every tenant; above the fan-out threshold through the job workers."""
    from stoflow.jobs import due

    moment = now
    report = due.run(
        "orders",
        visit_orders,
        engine=engine or get_engine(),
        clock=(lambda: moment) if moment is not None else due.utcnow,
    )
    return report.as_dict()


def refresh_expiring_tokens(*, engine: Engine | None = None, now: datetime | None = None) -> ScheduleReport:
    """Refresh every connected account whose access token expires within the scheduled margin,
    through the same locked refresh the jobs use (a job refreshing at that moment simply wins)."""
    engine = engine or get_engine()
    now = now or datetime.now(UTC)
    margin_s = get_settings().marketplace_scheduled_refresh_margin_s
    horizon = now + timedelta(seconds=margin_s)
    report = ScheduleReport()
    connectors = {m.name: m.load("connector")() for m in marketplaces.all_marketplaces() if m.oauth}
    for tenant_id in _tenant_ids(engine):
        report.tenants += 1
        due: list[str] = []
        try:
            with tenant_session(tenant_id, engine=engine) as session:
                for marketplace, connector in connectors.items():
                    row = connector.row(session)
                    if row is None or row.status != "connected":
                        continue
                    if row.access_expires_at is None or row.access_expires_at <= horizon:
                        due.append(marketplace)
                    else:
                        report.skipped += 1
        except Exception as exc:
            log.exception("token refresh scan failed for tenant %s", tenant_id)
            report.failed.append({"tenant_id": tenant_id, "error": type(exc).__name__})
            continue
        for marketplace in due:
            app = connectors[marketplace].token_app()
            try:
                tokens = AccountTokens(
                    marketplace, app, lambda tid=tenant_id: tenant_session(tid, engine=engine), margin_s=margin_s
                )
                tokens.get()
                report.done += 1
            except MarketplaceApiError as exc:
                report.failed.append({"tenant_id": tenant_id, "marketplace": marketplace, "error": exc.code})
            except Exception as exc:
                log.exception("token refresh failed for tenant %s on %s", tenant_id, marketplace)
                report.failed.append({"tenant_id": tenant_id, "marketplace": marketplace, "error": type(exc).__name__})
            finally:
                app.http.close()
    log.info("token refresh: %d refreshed, %d failed", report.done, len(report.failed))
    return report


def purge_oauth_states(*, engine: Engine | None = None, now: datetime | None = None) -> int:
    purged = oauth_state.purge_expired(engine=engine, now=now)
    log.info("oauth states: %d expired rows removed", purged)
    return purged
