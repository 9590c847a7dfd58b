"""The per-request check: verified access-token claims to the caller, if their session is live
and their account active.

Apart from stoflow.services.auth (login, refresh, logout): every authenticated request of every
function runs this check, most of them on a container's first request, and none needs the rest.
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

    Cost: one statement in the caller's transaction (a join of three primary-key lookups)."""
    try:
        session_id = uuid.UUID(claims.session_id)
    except ValueError as exc:
        raise InvalidToken("token names no valid session") from exc
    state = auth_sessions.access_state(session, claims.user_id, session_id)
    if state is None or state.revoked_at is not None:
        raise InvalidToken("token revoked", code="token_revoked")
    if not state.is_active:
        raise InvalidToken("account disabled", code="account_disabled")
    if state.tenant_id is None or state.tenant_id != claims.tenant_id:
        # Defence in depth: only our key signs tokens, but a token naming a tenant that is not
        # its user's (an issuing bug, a stolen key) must not open that tenant's schema.
        raise InvalidToken("token names another tenant than its user's", code="tenant_mismatch")
    return Principal(
        user_id=claims.user_id,
        tenant_id=claims.tenant_id,
        role=state.role,
        session_id=claims.session_id,
        jti=claims.jti,
    )
