"""Sessions: login, refresh (rotation with reuse detection), logout. The per-request check is
stoflow.services.principals.

A session is one refresh-token family (one login on one device). Access tokens name it (`sid`),
so revoking the session revokes its refresh tokens and its live access tokens together.

Refusals that must leave a trace (a rate-limit hit, a failed login, a family revoked on reuse)
are decided inside a transaction and raised after it commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from stoflow.auth import clock
from stoflow.auth.opaque import digest, new_token
from stoflow.auth.principal import Principal
from stoflow.auth.tokens import issue_access_token
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import (
    EmailNotVerified,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    StoflowError,
)
from stoflow.repositories import auth_sessions, users
from stoflow.services import rate_limits


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 (the OAuth 2 token type, not a secret)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _start_session(session: Session, user_id: int, role: str) -> TokenPair:
    settings = get_settings()
    now = clock.now()
    session_id = auth_sessions.create_session(session, user_id)
    refresh = new_token()
    auth_sessions.add_refresh_token(
        session, session_id, digest(refresh), now + timedelta(seconds=settings.refresh_token_ttl_s)
    )
    access = issue_access_token(user_id=user_id, tenant_id=user_id, role=role, session_id=str(session_id))
    return TokenPair(access_token=access.token, refresh_token=refresh, expires_in=access.expires_in)


def login(email: str, password: str, client_ip: str) -> TokenPair:
    from stoflow.auth import passwords

    settings = get_settings()
    email = normalise_email(email)
    now = clock.now()
    account = rate_limits.account_key(email)
    with shared_session() as session:
        refusal = (
            rate_limits.hit(
                session, f"login:ip:{client_ip}", settings.login_rate_per_ip, settings.rate_window_s, now, "login"
            )
            or rate_limits.hit(
                session, f"login:acct:{account}", settings.login_rate_per_account, settings.rate_window_s, now, "login"
            )
            or rate_limits.locked(session, email, settings.login_max_failures, settings.login_failure_window_s, now)
        )
        credentials = None if refusal else users.credentials_by_email(session, email)
    if refusal:
        raise refusal.exception()

    # Outside any transaction: argon2id takes tens of milliseconds and holds no lock.
    if credentials is None:
        passwords.decoy_verify(password)
        ok = False
    else:
        ok = passwords.verify_password(credentials.password_hash, password)
    if not ok or credentials is None:
        with shared_session() as session:
            rate_limits.record_failure(session, email, settings.login_failure_window_s, now)
        raise InvalidCredentials()

    # The password was right: from here on, saying why is no leak.
    if not credentials.is_active:
        raise InvalidCredentials("account disabled", code="account_disabled")
    if settings.requires_email_verification and credentials.email_verified_at is None:
        raise EmailNotVerified()
    with shared_session() as session:
        rate_limits.clear_failures(session, email)
        if passwords.needs_rehash(credentials.password_hash):
            users.set_password_hash(session, credentials.id, passwords.hash_password(password))
        return _start_session(session, credentials.id, credentials.role)


def refresh(refresh_token: str, client_ip: str) -> TokenPair:
    settings = get_settings()
    now = clock.now()
    failure: StoflowError | None = None
    pair: TokenPair | None = None
    revoked: uuid.UUID | None = None
    with shared_session() as session:
        refusal = rate_limits.hit(
            session, f"refresh:ip:{client_ip}", settings.refresh_rate_per_ip, settings.rate_window_s, now, "refresh"
        )
    if refusal:
        raise refusal.exception()

    with shared_session() as session:
        row = auth_sessions.lock_refresh_token(session, digest(refresh_token))
        if row is None:
            failure = InvalidRefreshToken()
        elif row.session_revoked_at is not None:
            failure = InvalidRefreshToken("session revoked", code="session_revoked")
        elif row.rotated_at is not None:
            # Someone holds a token that was already exchanged: either the client or a thief has
            # the newer one. End the whole session; both must log in again.
            auth_sessions.revoke_session(session, row.session_id, now, "refresh_reuse")
            revoked = row.session_id
            failure = RefreshTokenReused()
        elif row.expires_at <= now:
            failure = InvalidRefreshToken("refresh token expired", code="refresh_token_expired")
        else:
            account = users.get(session, row.user_id)
            if account is None or not account.is_active:
                auth_sessions.revoke_session(session, row.session_id, now, "account_disabled")
                revoked = row.session_id
                failure = InvalidRefreshToken("account disabled", code="account_disabled")
            else:
                auth_sessions.mark_rotated(session, row.id, now)
                auth_sessions.touch_session(session, row.session_id, now)
                new_refresh = new_token()
                auth_sessions.add_refresh_token(
                    session,
                    row.session_id,
                    digest(new_refresh),
                    now + timedelta(seconds=settings.refresh_token_ttl_s),
                )
                access = issue_access_token(
                    user_id=account.id, tenant_id=account.id, role=account.role, session_id=str(row.session_id)
                )
                pair = TokenPair(access_token=access.token, refresh_token=new_refresh, expires_in=access.expires_in)
    # Raised after the commit: the family revocation above must persist (and its sockets close).
    if revoked is not None:
        _close_sockets(revoked)
    if failure is not None:
        raise failure
    assert pair is not None
    return pair


def logout(principal: Principal) -> None:
    """Revoke the caller's session: its refresh tokens and every access token naming it
    (this one included) are refused from the next request on, its unused WebSocket tickets open
    nothing, and its open sockets are closed."""
    session_id = uuid.UUID(principal.session_id)
    with shared_session() as session:
        auth_sessions.revoke_session(session, session_id, clock.now(), "logout")
    _close_sockets(session_id)


def logout_everywhere(principal: Principal) -> int:
    """Revoke every session of the caller's account, this one included (every browser signed in,
    each to sign in again), and close their sockets; how many sessions ended."""
    with shared_session() as session:
        revoked = auth_sessions.revoke_user_sessions(session, principal.user_id, clock.now(), "logout_everywhere")
    for session_id in revoked:
        _close_sockets(session_id)
    return len(revoked)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    current: bool


def active_sessions(principal: Principal) -> list[ActiveSession]:
    """The caller's sessions that can still be used (not revoked, refreshed within the refresh
    token's lifetime), the caller's own marked `current`."""
    since = clock.now() - timedelta(seconds=get_settings().refresh_token_ttl_s)
    with shared_session() as session:
        rows = auth_sessions.live_sessions(session, principal.user_id, since)
    current = uuid.UUID(principal.session_id)
    return [ActiveSession(row.id, row.created_at, row.last_used_at, row.id == current) for row in rows]


def _close_sockets(session_id: uuid.UUID) -> None:
    """A revoked session's WebSocket connections are closed (after the revocation commits, so a
    socket opening meanwhile finds the session revoked at its next message)."""
    from stoflow.services.ws import close_session_connections

    close_session_connections(session_id)
