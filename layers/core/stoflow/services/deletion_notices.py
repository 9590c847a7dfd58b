"""Marketplace account deletion notices, processed in batches: one pass over the tenants removes
what each holds of every account closed since the last pass (each marketplace's `forget_accounts`),
then the notices are marked processed. Runs with the hourly purge: a notice costs one row when it
arrives, never a visit of every tenant.

The pass walks the tenant registry; the shared due-work index can narrow it to the tenants
connected to the marketplace."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from stoflow.db.engine import get_engine
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.marketplaces import registry
from stoflow.repositories import deletion_notices as repository
from stoflow.repositories import tenants

log = logging.getLogger(__name__)

BATCH = 5_000


def process_pending(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, Any]:
    engine = engine or get_engine()
    now = now or datetime.now(UTC)
    # One run at a time (the scheduled function's concurrency is 1): no lock held across the pass.
    with shared_session(engine=engine) as session:
        notices = [(n.id, n.marketplace, n.user_id, n.username) for n in repository.pending(session, BATCH)]
    if not notices:
        return {"notices": 0, "changed": 0, "failed": []}
    with engine.connect() as connection, connection.begin():
        tenant_ids = [row.id for row in tenants.list_all(connection)]
    forgetters = {
        m.name: m.load("forget_accounts") for m in registry.all_marketplaces() if m.forget_accounts is not None
    }
    by_marketplace: dict[str, tuple[list[str], list[str]]] = {}
    for _, marketplace, user_id, username in notices:
        ids, names = by_marketplace.setdefault(marketplace, ([], []))
        if user_id:
            ids.append(user_id)
        if username:
            names.append(username)
    changed, failed = 0, []
    for tenant_id in tenant_ids:
        try:
            with tenant_session(tenant_id, engine=engine) as session:
                for marketplace, (ids, names) in by_marketplace.items():
                    if marketplace in forgetters:
                        changed += forgetters[marketplace](session, ids, names)
        except Exception as exc:  # one broken tenant must not keep the others' data
            log.exception("account deletion notices failed for tenant %s", tenant_id)
            failed.append({"tenant_id": tenant_id, "error": type(exc).__name__})
    if not failed:
        with shared_session(engine=engine) as session:
            repository.mark_processed(session, [n[0] for n in notices], now)
    log.info("account deletion notices: %d processed, %d rows changed", len(notices), changed)
    return {"notices": len(notices), "changed": changed, "failed": failed}


def answer(marketplace: str, method: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Any:
    """The marketplace's notification endpoint: (status, JSON body) from its adapter."""
    from stoflow.errors import NotFound

    descriptor = registry.get(marketplace)
    if descriptor is None or descriptor.notifications is None:
        raise NotFound(f"{marketplace} sends no notifications here", code="unknown_marketplace")
    return descriptor.load("notifications")(method, query, headers, body)
