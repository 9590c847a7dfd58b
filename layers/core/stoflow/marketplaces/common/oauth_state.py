"""OAuth state: server side, bound to the user (and tenant) who started it, single use, 10 minutes.

The state sent to the marketplace is 256 random bits; only its SHA-256 is stored. PKCE verifiers
(Etsy) are stored encrypted with the token cipher and come back only to the callback that consumes
the state.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import InvalidOAuthState
from stoflow.marketplaces.common import crypto
from stoflow.repositories import oauth_states as repository


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636: 43-128 unreserved characters."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass(frozen=True)
class NewState:
    state: str
    expires_at: datetime


def create(
    marketplace: str,
    user_id: int,
    tenant_id: int,
    *,
    code_verifier: str | None = None,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> NewState:
    state = secrets.token_urlsafe(32)
    expires_at = (now or datetime.now(UTC)) + timedelta(seconds=get_settings().oauth_state_ttl_s)
    with shared_session(engine=engine) as session:
        repository.add(
            session,
            state_hash=_hash(state),
            marketplace=marketplace,
            user_id=user_id,
            tenant_id=tenant_id,
            code_verifier_enc=crypto.encrypt(code_verifier) if code_verifier else None,
            expires_at=expires_at,
        )
    return NewState(state, expires_at)


def consume(
    state: str,
    marketplace: str,
    user_id: int,
    tenant_id: int,
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> str | None:
    """Burn the state; return its PKCE verifier (None for flows without one). Unknown, expired,
    used, or another user's: InvalidOAuthState, and nothing is burnt for the rightful owner."""
    if not state or len(state) > 200:
        raise InvalidOAuthState("missing or malformed state")
    with shared_session(engine=engine) as session:
        found, verifier_enc = repository.consume(
            session,
            state_hash=_hash(state),
            marketplace=marketplace,
            user_id=user_id,
            tenant_id=tenant_id,
            now=now or datetime.now(UTC),
        )
    if not found:
        raise InvalidOAuthState("this authorization request is unknown, expired, or already used")
    return crypto.decrypt(verifier_enc) if verifier_enc else None


def purge_expired(*, engine: Engine | None = None, now: datetime | None = None) -> int:
    with shared_session(engine=engine) as session:
        return repository.purge_expired(session, now or datetime.now(UTC))
