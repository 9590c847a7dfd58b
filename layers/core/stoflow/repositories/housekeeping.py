"""Deletes of shared-schema rows nobody can use any more (expired identity tokens, old rate windows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from stoflow.models.identity import EmailVerificationToken, RateLimitBucket
from stoflow.models.sessions import RefreshToken


def delete_refresh_tokens_expired_before(session: Session, before: datetime) -> int:
    return session.execute(delete(RefreshToken).where(RefreshToken.expires_at < before)).rowcount


def delete_verification_tokens_expired_before(session: Session, before: datetime) -> int:
    return session.execute(delete(EmailVerificationToken).where(EmailVerificationToken.expires_at < before)).rowcount


def delete_rate_windows_started_before(session: Session, before: datetime) -> int:
    return session.execute(delete(RateLimitBucket).where(RateLimitBucket.window_started_at < before)).rowcount
