"""Queries on accounts (public.users)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

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
