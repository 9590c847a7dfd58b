"""Queries on public.oauth_states: insert, consume once, purge the expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from stoflow.models.oauth import OAuthState


def add(
    session: Session,
    *,
    state_hash: str,
    marketplace: str,
    user_id: int,
    tenant_id: int,
    code_verifier_enc: str | None,
    expires_at: datetime,
) -> None:
    session.execute(
        insert(OAuthState).values(
            state_hash=state_hash,
            marketplace=marketplace,
            user_id=user_id,
            tenant_id=tenant_id,
            code_verifier_enc=code_verifier_enc,
            expires_at=expires_at,
        )
    )


def consume(
    session: Session, *, state_hash: str, marketplace: str, user_id: int, tenant_id: int, now: datetime
) -> tuple[bool, str | None]:
    """Delete the matching live state and return (found, encrypted verifier). One DELETE ...
    RETURNING: of two callbacks racing with one state, exactly one gets the row."""
    row = session.execute(
        delete(OAuthState)
        .where(
            OAuthState.state_hash == state_hash,
            OAuthState.marketplace == marketplace,
            OAuthState.user_id == user_id,
            OAuthState.tenant_id == tenant_id,
            OAuthState.expires_at > now,
        )
        .returning(OAuthState.code_verifier_enc)
    ).first()
    return (row is not None, row[0] if row is not None else None)


def purge_expired(session: Session, now: datetime) -> int:
    return session.execute(delete(OAuthState).where(OAuthState.expires_at <= now)).rowcount
