"""Rate limits and login lockout, decided from PostgreSQL counters (Lambda instances share no memory).

Decisions are returned rather than raised inside the transaction that counted them: the hit must
be committed even when the request is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from stoflow.errors import AccountLocked, RateLimited
from stoflow.repositories import rate_limits


@dataclass(frozen=True, slots=True)
class Refusal:
    error: type[RateLimited]
    detail: str
    retry_after_s: float

    def exception(self) -> RateLimited:
        return self.error(self.detail, retry_after=self.retry_after_s)


def account_key(email: str) -> str:
    """Accounts are keyed by a digest of the normalised email, known or not: a lockout looks the
    same for an unknown address, so it reveals nothing about who is registered."""
    return hashlib.sha256(email.encode()).hexdigest()[:40]


def _retry_after(started_at: datetime, window_s: int, now: datetime) -> float:
    return max(1.0, (started_at + timedelta(seconds=window_s) - now).total_seconds())


def hit(session: Session, key: str, limit: int, window_s: int, now: datetime, what: str) -> Refusal | None:
    window = rate_limits.hit(session, key, window_s, now)
    if window.hits > limit:
        return Refusal(RateLimited, f"too many {what} requests", _retry_after(window.started_at, window_s, now))
    return None


def lockout_key(email: str) -> str:
    return f"lockout:{account_key(email)}"


def locked(session: Session, email: str, max_failures: int, window_s: int, now: datetime) -> Refusal | None:
    window = rate_limits.peek(session, lockout_key(email))
    if window is None or window.hits < max_failures:
        return None
    if window.started_at + timedelta(seconds=window_s) <= now:
        return None
    return Refusal(AccountLocked, "too many failed logins", _retry_after(window.started_at, window_s, now))


def record_failure(session: Session, email: str, window_s: int, now: datetime) -> None:
    rate_limits.hit(session, lockout_key(email), window_s, now)


def clear_failures(session: Session, email: str) -> None:
    rate_limits.reset(session, lockout_key(email))
