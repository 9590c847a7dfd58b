"""What the marketplace schedules do, each visiting only the tenants the shared index of due work
names: queue an order-sync job for each connected marketplace whose orders check is due (the syncs
run in the job workers; the cadence is stoflow.domain.order_checks'), and refresh the tokens that
expire soon; and sweep expired OAuth states. One tenant's failure never stops the others."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from stoflow.config import get_settings
from stoflow.db.engine import get_engine
from stoflow.db.tenancy import tenant_session
from stoflow.domain import order_checks
from stoflow.domain.call_budget import UNLIMITED, Pace
from stoflow.domain.sales import finalize_held
from stoflow.errors import StoflowError
from stoflow.marketplaces import registry as marketplaces
from stoflow.marketplaces.common import oauth_state
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.marketplaces.common.tokens import AccountTokens
from stoflow.repositories.marketplace_accounts import scheduled_refresh_at

if TYPE_CHECKING:
    from stoflow.jobs.due import Visitor

log = logging.getLogger(__name__)


def _scheduled_run(kind: str, visit: Visitor, engine: Engine | None, now: datetime | None) -> dict[str, Any]:
    """One scheduled run of `kind` over the due tenants (`now`: a fixed clock, for tests)."""
    from stoflow.jobs import due

    clock = (lambda: now) if now is not None else due.utcnow
    return due.run(kind, visit, engine=engine or get_engine(), clock=clock).as_dict()


def _order_syncs() -> dict[str, tuple[str, int]]:
    """{marketplace: (its order-sync action, its floor between two checks)}, from the descriptors,
    for the marketplaces whose action has a handler here."""
    from stoflow.services.jobs import registry as handlers

    return {
        m.name: (m.sync_action, m.min_order_check_s)
        for m in marketplaces.all_marketplaces()
        if m.sync_action is not None and handlers().get(m.name, m.sync_action) is not None
    }


def _pace(marketplace: str, now: datetime, engine: Engine | None) -> Pace:
    """The order checks' pace under the marketplace's app-wide call budget, if it has one."""
    found = marketplaces.get(marketplace)
    if found is None or found.call_budget is None:
        return UNLIMITED
    pace: Pace = found.load("call_budget")(now, engine)
    return pace


def visit_orders(tenant_id: int, now: datetime, engine: Engine | None = None) -> datetime | None:
    """One tenant's due order checks (kind "orders" of due work): queue each connected
    marketplace's sync that is due, and delete the listings a sale hid once the sale is final (no
    cancellation seen while its orders were watched); returns when the next of these is due (None:
    nothing to watch until a connection or a listing marks the tenant again)."""
    upcoming: list[datetime] = []
    syncs = _order_syncs()
    # Read before the tenant's session: the app-wide budgets live in the shared schema, and a
    # container holds one connection at a time.
    paces = {m: _pace(m, now, engine) for m in syncs}
    with tenant_session(tenant_id, engine=engine) as session:
        for marketplace, (action, floor) in syncs.items():
            if not marketplaces.is_connected(session, marketplace):
                continue
            order_checks.queue_if_due(
                session, tenant_id, marketplace, action, now, at_least_s=floor, pace=paces[marketplace]
            )
            next_due = order_checks.next_due(session, marketplace)
            if next_due is not None:
                # Queued already this minute (the heartbeat was first): looked at next minute.
                upcoming.append(max(next_due, now + timedelta(minutes=1)) if next_due <= now else next_due)
        # Final once cancellations are no longer watched for (order_checks' window after a sale).
        final_after = timedelta(days=get_settings().order_check_after_sale_days)
        next_final = finalize_held(session, tenant_id, now, final_after)
        if next_final is not None:
            upcoming.append(next_final)
    return min(upcoming) if upcoming else None


def fan_out_order_syncs(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The order-sync schedule: the tenants whose checks are due (the shared index of due work,
    kind "orders"), never every tenant; above the fan-out threshold through the job workers."""
    return _scheduled_run("orders", visit_orders, engine, now)


# A refresh that failed for a reason of the moment (the marketplace down) is tried again this much later.
TOKEN_RETRY = timedelta(minutes=10)


def visit_tokens(tenant_id: int, now: datetime, engine: Engine | None = None) -> datetime | None:
    """One tenant's due token refresh (kind "tokens" of due work): every connected account whose
    access token expires within the scheduled margin (or, where tokens are refreshed on use, whose
    refresh token nears its end) is refreshed through the same locked refresh the jobs use (a job
    refreshing at that moment simply wins). Returns when the next one is due."""
    settings = get_settings()
    margin = timedelta(seconds=settings.marketplace_scheduled_refresh_margin_s)
    keep_alive = timedelta(seconds=settings.marketplace_refresh_token_keepalive_s)
    oauth = [m for m in marketplaces.all_marketplaces() if m.oauth]
    connectors = {m.name: m.load("connector")() for m in oauth}
    on_use = {m.name: m.refresh_on_use for m in oauth}
    due: list[str] = []
    with tenant_session(tenant_id, engine=engine) as session:
        for marketplace, connector in connectors.items():
            row = connector.row(session)
            if row is None or row.status != "connected":
                continue
            when = scheduled_refresh_at(row.access_expires_at, row.refresh_expires_at, on_use=on_use[marketplace])
            if when is None or when <= now:
                due.append(marketplace)
    retry: list[datetime] = []
    for marketplace in due:
        app = connectors[marketplace].token_app()
        try:
            tokens = AccountTokens(
                marketplace, app, lambda: tenant_session(tenant_id, engine=engine), margin_s=int(margin.total_seconds())
            )
            if on_use[marketplace]:
                # The access token may well be fresh: it is the refresh token that must not lapse.
                tokens.refresh(renew_before=now + keep_alive)
            else:
                tokens.get()
        except MarketplaceApiError as exc:
            log.warning("token refresh of tenant %s on %s failed: %s", tenant_id, marketplace, exc.code)
            retry.append(now + TOKEN_RETRY)
        except StoflowError:
            pass  # refused for good: the connection now needs the seller (needs_reauth), nothing to refresh
        finally:
            app.http.close()
    upcoming = list(retry)
    with tenant_session(tenant_id, engine=engine) as session:
        for marketplace, connector in connectors.items():
            row = connector.row(session)
            if row is not None and row.status == "connected":
                when = scheduled_refresh_at(row.access_expires_at, row.refresh_expires_at, on_use=on_use[marketplace])
                if when is not None:
                    upcoming.append(max(when, now + TOKEN_RETRY))
    return min(upcoming) if upcoming else None


def refresh_expiring_tokens(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The token refresh schedule: the tenants whose tokens expire within the margin (the shared
    index of due work, kind "tokens", marked whenever tokens are stored), never every tenant."""
    return _scheduled_run("tokens", visit_tokens, engine, now)


def purge_oauth_states(*, engine: Engine | None = None, now: datetime | None = None) -> int:
    purged = oauth_state.purge_expired(engine=engine, now=now)
    log.info("oauth states: %d expired rows removed", purged)
    return purged
