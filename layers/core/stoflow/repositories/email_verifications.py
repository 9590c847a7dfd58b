"""Queries on email verification tokens (stored as digests)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stoflow.models.identity import EmailVerificationToken


class PendingVerification(NamedTuple):
    id: int
    user_id: int
    expires_at: datetime
    used_at: datetime | None


def add(session: Session, user_id: int, token_hash: str, expires_at: datetime) -> None:
    session.add(EmailVerificationToken(user_id=user_id, token_hash=token_hash, expires_at=expires_at))
    session.flush()


def lock_by_hash(session: Session, token_hash: str) -> PendingVerification | None:
    row = session.execute(
        select(
            EmailVerificationToken.id,
            EmailVerificationToken.user_id,
            EmailVerificationToken.expires_at,
            EmailVerificationToken.used_at,
        )
        .where(EmailVerificationToken.token_hash == token_hash)
        .with_for_update()
    ).first()
    return PendingVerification(*row) if row else None


def mark_used(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(EmailVerificationToken).where(EmailVerificationToken.id == token_id).values(used_at=now))
