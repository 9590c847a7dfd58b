"""Queries on sessions (refresh-token families) and their refresh tokens (public schema)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from stoflow.models.public import Tenant, User
from stoflow.models.sessions import AuthSession, RefreshToken


class AccessState(NamedTuple):
    role: str
    is_active: bool
    revoked_at: datetime | None
    # The tenant the user owns (tenant id = user id, registered in public.tenants); None: none.
    tenant_id: int | None = None


class RefreshRow(NamedTuple):
    id: int
    session_id: uuid.UUID
    expires_at: datetime
    rotated_at: datetime | None
    session_revoked_at: datetime | None
    user_id: int


_users = User.__table__
_sessions = AuthSession.__table__
_tenants = Tenant.__table__
# Core, not ORM: this runs on every authenticated request, and a Core statement skips the ORM's
# per-execution bookkeeping (about a third of the statement's cost, measured by bench/cold_start_auth).
_ACCESS_STATE = (
    select(_users.c.role, _users.c.is_active, _sessions.c.revoked_at, _tenants.c.id)
    .select_from(
        _users.join(_sessions, _sessions.c.user_id == _users.c.id).outerjoin(_tenants, _tenants.c.id == _users.c.id)
    )
    .where(_users.c.id == bindparam("user_id"), _sessions.c.id == bindparam("session_id"))
)


def access_state(session: Session, user_id: int, session_id: uuid.UUID) -> AccessState | None:
    """The per-request revocation check: one statement, three primary-key lookups (users,
    auth_sessions, tenants).

    Also returns the current role and active flag, so a demotion or a disabled account takes
    effect on the next request rather than when the access token expires, and the user's tenant,
    which the token's tenant claim must name."""
    row = session.connection().execute(_ACCESS_STATE, {"user_id": user_id, "session_id": session_id}).first()
    return AccessState(*row) if row else None


def create_session(session: Session, user_id: int) -> uuid.UUID:
    row = AuthSession(id=uuid.uuid4(), user_id=user_id)
    session.add(row)
    session.flush()
    return row.id


def add_refresh_token(session: Session, session_id: uuid.UUID, token_hash: str, expires_at: datetime) -> None:
    session.add(RefreshToken(session_id=session_id, token_hash=token_hash, expires_at=expires_at))
    session.flush()


def lock_refresh_token(session: Session, token_hash: str) -> RefreshRow | None:
    """The token and its session, row-locked: two refreshes racing with one token are serialised,
    and the second sees the first's rotation (a reuse)."""
    row = session.execute(
        select(
            RefreshToken.id,
            RefreshToken.session_id,
            RefreshToken.expires_at,
            RefreshToken.rotated_at,
            AuthSession.revoked_at,
            AuthSession.user_id,
        )
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update(of=RefreshToken)
    ).first()
    return RefreshRow(*row) if row else None


def mark_rotated(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(RefreshToken).where(RefreshToken.id == token_id).values(rotated_at=now))


def touch_session(session: Session, session_id: uuid.UUID, now: datetime) -> None:
    session.execute(update(AuthSession).where(AuthSession.id == session_id).values(last_used_at=now))


def revoke_session(session: Session, session_id: uuid.UUID, now: datetime, reason: str) -> int:
    return session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    ).rowcount


def revoke_user_sessions(session: Session, user_id: int, now: datetime, reason: str) -> list[uuid.UUID]:
    """Revoke every live session of the user; the ids of those it revoked."""
    return list(
        session.scalars(
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
            .returning(AuthSession.id)
        )
    )


def live_sessions(session: Session, user_id: int, used_since: datetime) -> list[Row[Any]]:
    """The user's sessions not revoked and used since `used_since` (older ones cannot refresh any
    more), most recently used first."""
    return list(
        session.execute(
            select(AuthSession.id, AuthSession.created_at, AuthSession.last_used_at)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.last_used_at >= used_since,
            )
            .order_by(AuthSession.last_used_at.desc(), AuthSession.created_at.desc())
        ).all()
    )
