"""Queries on password reset tokens (stored as digests) and on the sessions a password change ends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stoflow.models.password_resets import PasswordResetToken
from stoflow.models.sessions import AuthSession

__all__ = ["PendingReset", "add", "lock_by_hash", "revoke_sessions_except", "use_all"]


class PendingReset(NamedTuple):
    id: int
    user_id: int
    expires_at: datetime
    used_at: datetime | None


def add(session: Session, user_id: int, token_hash: str, expires_at: datetime) -> None:
    session.add(PasswordResetToken(user_id=user_id, token_hash=token_hash, expires_at=expires_at))
    session.flush()


def lock_by_hash(session: Session, token_hash: str) -> PendingReset | None:
    """The token row, locked: two requests with one link are serialised, the second sees it used."""
    row = session.execute(
        select(
            PasswordResetToken.id,
            PasswordResetToken.user_id,
            PasswordResetToken.expires_at,
            PasswordResetToken.used_at,
        )
        .where(PasswordResetToken.token_hash == token_hash)
        .with_for_update()
    ).first()
    return PendingReset(*row) if row else None


def use_all(session: Session, user_id: int, now: datetime) -> None:
    """Burn every outstanding link of the user (the one used, and any older or newer one)."""
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


def revoke_sessions_except(session: Session, user_id: int, keep: uuid.UUID, now: datetime, reason: str) -> int:
    return session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.id != keep, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    ).rowcount
