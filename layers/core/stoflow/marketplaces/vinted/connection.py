"""Vinted counts as connected for a tenant once an extension is paired (and not revoked): jobs
are then accepted and wait in waiting_extension until the extension is online."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.jobs.connections import register_connection_check as register_check
from stoflow.models.extension import ExtensionDevice


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


def register_connection_check() -> None:
    register_check("vinted", is_connected)
