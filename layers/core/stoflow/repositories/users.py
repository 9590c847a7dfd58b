"""Queries on accounts (public.users)."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Date, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.identity import AiCreditUsage, SubscriptionQuota
from stoflow.models.public import User


class Credentials(NamedTuple):
    id: int
    password_hash: str
    role: str
    is_active: bool
    email_verified_at: datetime | None


def insert_user(session: Session, email: str, password_hash: str) -> int | None:
    """The new user's id, or None when the email is taken (no exception, no aborted transaction)."""
    return session.execute(
        insert(User)
        .values(email=email, password_hash=password_hash)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    ).scalar_one_or_none()


class ProfileRow(NamedTuple):
    id: int
    email: str
    role: str
    created_at: datetime
    email_verified_at: datetime | None
    tier: str
    max_products: int | None
    ai_credits_monthly: int
    ai_credits_used: int


_u, _q, _c = User.__table__, SubscriptionQuota.__table__, AiCreditUsage.__table__


# Built once: GET /auth/me then binds two values (Core: no ORM mapper configuration, ~15 ms of a
# cold start).
_PROFILE = (
    select(
        _u.c.id,
        _u.c.email,
        _u.c.role,
        _u.c.created_at,
        _u.c.email_verified_at,
        _q.c.tier,
        _q.c.max_products,
        _q.c.ai_credits_monthly,
        func.coalesce(_c.c.used, 0),
    )
    .select_from(
        _u.join(_q, _q.c.tier == _u.c.tier).outerjoin(
            _c, (_c.c.user_id == _u.c.id) & (_c.c.period_start == bindparam("period_start", type_=Date))
        )
    )
    .where(_u.c.id == bindparam("user_id"))
)


def profile(session: Session, user_id: int, period_start: date) -> ProfileRow | None:
    """The account, its tier's quotas and this month's AI credit use in one statement."""
    row = session.connection().execute(_PROFILE, {"user_id": user_id, "period_start": period_start}).first()
    return ProfileRow(*row) if row else None


def credentials_by_email(session: Session, email: str) -> Credentials | None:
    row = session.execute(
        select(User.id, User.password_hash, User.role, User.is_active, User.email_verified_at).where(
            User.email == email
        )
    ).first()
    return Credentials(*row) if row else None


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def mark_email_verified(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(User).where(User.id == user_id, User.email_verified_at.is_(None)).values(email_verified_at=now)
    )
