"""Passwords: reset by email (single use, hashed, short-lived; revokes every session) and change
(needs the current password; revokes every other session).

A reset request answers the same whether the address is registered or not, and is rate limited
per address and per client address, like the other unauthenticated identity routes.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from stoflow.auth import clock
from stoflow.auth.opaque import digest, new_token
from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import InvalidInput, InvalidResetToken, WrongPassword
from stoflow.models.public import User
from stoflow.repositories import auth_sessions, password_resets, users
from stoflow.services import rate_limits
from stoflow.services.accounts import validate_password
from stoflow.services.auth import normalise_email

__all__ = ["change_password", "request_reset", "reset_password"]

log = logging.getLogger(__name__)


def request_reset(email: str, client_ip: str) -> None:
    """Mail a reset link if the address belongs to an active account; say nothing either way."""
    settings = get_settings()
    email = normalise_email(email)
    now = clock.now()
    token: str | None = None
    with shared_session() as session:
        refusal = rate_limits.hit(
            session,
            f"reset:ip:{client_ip}",
            settings.register_rate_per_ip,
            settings.rate_window_s,
            now,
            "password reset",
        ) or rate_limits.hit(
            session,
            f"reset:acct:{rate_limits.account_key(email)}",
            settings.password_reset_per_hour,
            3600,
            now,
            "password reset",
        )
        credentials = None if refusal else users.credentials_by_email(session, email)
        if credentials is not None and credentials.is_active:
            token = new_token()
            expires_at = now + timedelta(seconds=settings.password_reset_ttl_s)
            password_resets.add(session, credentials.id, digest(token), expires_at)
    if refusal:
        raise refusal.exception()
    if token is not None:
        from stoflow.services.password_reset_mail import send_password_reset_email

        send_password_reset_email(email, token)


def reset_password(token: str, new_password: str) -> None:
    """Set a new password with a link's token. The token works once and only before it expires;
    every link of the account is burnt and every session (refresh and access tokens, extension
    devices included) is revoked. The mailbox is proven, so the address counts as verified."""
    from stoflow.auth.passwords import hash_password

    validate_password(new_password)
    password_hash = hash_password(new_password)  # before the transaction: it holds no lock meanwhile
    now = clock.now()
    with shared_session() as session:
        pending = password_resets.lock_by_hash(session, digest(token))
        if pending is None or pending.used_at is not None or pending.expires_at <= now:
            raise InvalidResetToken()
        account = users.get(session, pending.user_id)
        if account is None or not account.is_active:
            raise InvalidResetToken()
        password_resets.use_all(session, pending.user_id, now)
        users.set_password_hash(session, pending.user_id, password_hash)
        if account.email_verified_at is None:
            users.mark_email_verified(session, pending.user_id, now)
        auth_sessions.revoke_user_sessions(session, pending.user_id, now, "password_reset")
        # A locked-out account is unlocked by proving the mailbox.
        rate_limits.clear_failures(session, account.email)


def confirm_password(principal: Principal, password: str, action: str, refusal_text: str) -> User:
    """The caller's account, once `password` is its password. Guessing it with a stolen access
    token is as limited as a login; the count is committed before a refusal is raised."""
    from stoflow.auth import passwords

    settings = get_settings()
    with shared_session() as session:
        refusal = rate_limits.hit(
            session,
            f"password:user:{principal.user_id}",
            settings.login_rate_per_account,
            settings.rate_window_s,
            clock.now(),
            action,
        )
        account = None if refusal else users.get(session, principal.user_id)
    if refusal:
        raise refusal.exception()
    if account is None or not passwords.verify_password(account.password_hash, password):
        raise WrongPassword(refusal_text)
    return account


def change_password(principal: Principal, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; every other session of the account
    is revoked, the caller's stays signed in."""
    from stoflow.auth import passwords

    validate_password(new_password)
    if new_password == current_password:
        raise InvalidInput("the new password is the current one", code="same_password")
    confirm_password(principal, current_password, "password change", "the current password is wrong")
    password_hash = passwords.hash_password(new_password)
    now = clock.now()
    with shared_session() as session:
        users.set_password_hash(session, principal.user_id, password_hash)
        password_resets.use_all(session, principal.user_id, now)
        password_resets.revoke_sessions_except(
            session, principal.user_id, uuid.UUID(principal.session_id), now, "password_change"
        )
