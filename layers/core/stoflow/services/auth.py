"""Sessions: login, refresh (rotation with reuse detection), logout, and the per-request check.

A session is one refresh-token family. Access tokens name it (`sid`), so revoking the session
revokes its refresh tokens and its live access tokens together.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from stoflow.auth.principal import Principal
from stoflow.auth.tokens import AccessClaims
from stoflow.errors import InvalidToken
from stoflow.repositories import auth_sessions


def principal_for(session: Session, claims: AccessClaims) -> Principal:
    """Verified claims → the caller, if the session is live and the account active.

    Cost: one statement in the caller's transaction (a join of two primary-key lookups)."""
    try:
        session_id = uuid.UUID(claims.session_id)
    except ValueError as exc:
        raise InvalidToken("token names no valid session") from exc
    state = auth_sessions.access_state(session, claims.user_id, session_id)
    if state is None or state.revoked_at is not None:
        raise InvalidToken("token revoked", code="token_revoked")
    if not state.is_active:
        raise InvalidToken("account disabled", code="account_disabled")
    return Principal(
        user_id=claims.user_id,
        tenant_id=claims.tenant_id,
        role=state.role,
        session_id=claims.session_id,
        jti=claims.jti,
    )
