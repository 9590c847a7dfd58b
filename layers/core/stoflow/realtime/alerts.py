"""The seller hears of an alert at once: each alert raised in a unit of work (a delist of a sold
item failing for good, a double sale) is pushed to the tenant's open dashboards and emailed, once
that unit of work has committed and given its connection back (commit, then send).

Delivery never undoes what raised the alert: an email that could not be sent stays due
(`emailed_at` empty) and goes with the tenant's next delivery, or with the scheduled sweep (kind
"alerts" of due work, marked when the alert is raised); the dashboard lists the alert either way
(GET /alerts)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.db.tenancy import after_unit_of_work, session_tenant_id, shared_session, tenant_session
from stoflow.repositories import alerts as repository
from stoflow.repositories import users

log = logging.getLogger(__name__)

_SCHEDULED = "stoflow_alerts_delivery"


def deliver_after(session: Session) -> None:
    """Deliver the tenant's new alerts once `session`'s unit of work commits (once per unit)."""
    if session.info.get(_SCHEDULED):
        return
    session.info[_SCHEDULED] = True
    tenant_id = session_tenant_id(session)

    def run() -> None:
        session.info.pop(_SCHEDULED, None)
        try:
            deliver(tenant_id)
        except Exception:  # the alert stays listed and due: the next delivery sends it
            log.exception("alert delivery failed for tenant %s", tenant_id)

    after_unit_of_work(session, run)


def _email_text(alerts: list[dict[str, Any]]) -> str:
    lines = "\n\n".join(f"- {a['message']}" for a in alerts)
    return (
        f"StoFlow needs you:\n\n{lines}\n\n"
        "A listing of a sold item left live can be bought a second time. These alerts are also in your "
        "dashboard.\n"
    )


def _send(to: str, subject: str, text: str) -> None:
    if get_settings().environment == "local":
        # The local cloud has no mail server: the message is printed for the developer to read.
        print(f"[stoflow] alert email to {to}: {subject}\n{text}", flush=True)
        return
    from stoflow.aws import send_text_email

    send_text_email(to, subject, text)


def deliver(tenant_id: int, *, now: datetime | None = None, engine: Engine | None = None) -> int:
    """Email and push the tenant's alerts not emailed yet; how many. Its short sessions open one
    after the other, never while the caller holds one."""
    now = now or datetime.now(UTC)
    with tenant_session(tenant_id, engine=engine) as session:
        pending = [
            {"id": a.id, "kind": a.kind, "message": a.message, "product_id": a.product_id, "sale_id": a.sale_id}
            for a in repository.not_emailed(session)
        ]
    if not pending:
        return 0
    with shared_session(engine=engine) as session:
        user = users.get(session, tenant_id)
        to = user.email if user is not None else None
    if to:
        subject = "StoFlow: a sold item needs you" if len(pending) == 1 else f"StoFlow: {len(pending)} alerts"
        _send(to, subject, _email_text(pending))
    with tenant_session(tenant_id, engine=engine) as session:
        repository.mark_emailed(session, [a["id"] for a in pending], now)
    _push(tenant_id, pending)
    log.info("%d alerts delivered to tenant %s", len(pending), tenant_id)
    return len(pending)


def visit(tenant_id: int, now: datetime, engine: Engine | None) -> datetime | None:
    """The scheduled sweep of one tenant (kind "alerts"): deliver what is still due. A delivery
    that fails raises, and the tenant is due again when its lease ends."""
    deliver(tenant_id, now=now, engine=engine)
    return None


def _push(tenant_id: int, alerts: list[dict[str, Any]]) -> None:
    if not get_settings().ws_callback_url:
        return
    from stoflow.realtime.connections import ConnectionsClient
    from stoflow.realtime.presence import connections_of

    connections = connections_of(tenant_id, "dashboard")
    client = ConnectionsClient() if connections else None
    for connection in connections:
        for alert in alerts:
            try:
                assert client is not None
                client.send(connection.connection_id, {"type": "alert", **alert})
            except Exception:
                log.exception("alert push to %s failed", connection.connection_id)
