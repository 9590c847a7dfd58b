"""A paired extension device for tests that open extension WebSocket connections."""

from __future__ import annotations

import uuid

from stoflow.auth.principal import Principal
from stoflow.db.tenancy import shared_session
from stoflow.models import AuthSession, ExtensionDevice


def device_principal(user_id: int, tenant_id: int | None = None, name: str = "test browser") -> Principal:
    """A login session registered as an extension device (what POST /extension/pair creates)."""
    session_id = uuid.uuid4()
    with shared_session() as session:
        session.add(AuthSession(id=session_id, user_id=user_id))
        session.flush()
        session.add(ExtensionDevice(user_id=user_id, tenant_id=tenant_id or user_id, session_id=session_id, name=name))
    return Principal(user_id=user_id, tenant_id=tenant_id or user_id, role="user", session_id=str(session_id), jti="j")
