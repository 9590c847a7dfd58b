"""What the marketplace schedules do: queue an order-sync job for each connected tenant and
marketplace whose orders check is due (the work runs in the job workers, not in one long Lambda;
the cadence is stoflow.domain.order_checks'), refresh tokens that expire soon, and sweep expired
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


def fan_out_order_syncs(*, engine: Engine | None = None, now: datetime | None = None) -> ScheduleReport:
    from stoflow.services.jobs import registry as handlers

    engine = engine or get_engine()
    now = now or datetime.now(UTC)
    # Each marketplace's order-sync action, from its descriptor.
    actions = {m.name: m.sync_action for m in marketplaces.all_marketplaces() if m.sync_action is not None}
    syncing = [m for m, action in actions.items() if handlers().get(m, action) is not None]
    floors = {m.name: m.min_order_check_s for m in marketplaces.all_marketplaces()}
    report = ScheduleReport()
    for tenant_id in _tenant_ids(engine):
        report.tenants += 1
        try:
            with tenant_session(tenant_id, engine=engine) as session:
                for marketplace in syncing:
                    if not order_checks.is_due(session, marketplace, now):
                        report.skipped += 1
                        continue
                    if not marketplaces.is_connected(session, marketplace):
                        continue
                    floor = floors[marketplace]
                    if order_checks.queue_if_due(
                        session, tenant_id, marketplace, actions[marketplace], now, at_least_s=floor
                    ):
                        report.done += 1
                    else:
                        report.skipped += 1
        except Exception as exc:  # one broken tenant must not starve the others
            log.exception("order sync fan-out failed for tenant %s", tenant_id)
            report.failed.append({"tenant_id": tenant_id, "error": type(exc).__name__})
    log.info("order sync fan-out: %d jobs queued over %d tenants", report.done, report.tenants)
    return report


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
