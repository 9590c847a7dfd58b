"""Vinted counts as connected for a tenant once an extension is paired (and not revoked): jobs
are then accepted and wait in waiting_extension until the extension is online."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.models.extension import ExtensionDevice
from stoflow.models.vinted_account import VintedConnection


def is_connected(session: Session) -> bool:
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        return False
    return (
        session.scalar(
            select(ExtensionDevice.id)
            .where(ExtensionDevice.tenant_id == tenant_id, ExtensionDevice.revoked_at.is_(None))
            .limit(1)
        )
        is not None
    )


def reported_session(session: Session) -> VintedConnection | None:
    """What the extension last reported about the tenant's Vinted session (read only here)."""
    return session.scalars(select(VintedConnection).where(VintedConnection.id == 1)).first()


def connection_status(session: Session) -> dict[str, Any]:
    """Vinted is connected through the browser extension: paired, and what it last reported."""
    connected = is_connected(session)
    reported = reported_session(session)
    return {
        "marketplace": "vinted",
        "status": "connected" if connected else "disconnected",
        "connected": connected,
        "via": "extension",
        "account": reported.login if reported else None,
        "logged_in": reported.logged_in if reported else None,
        "last_seen_at": reported.last_hello_at if reported else None,
    }
