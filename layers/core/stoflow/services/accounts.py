"""Accounts: registration (user and tenant schema in one transaction), email verification, profile."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from stoflow.auth import clock
from stoflow.auth.opaque import digest, new_token
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import EmailTaken, InvalidInput, InvalidVerificationToken, NotFound
from stoflow.repositories import email_verifications, users
from stoflow.services import rate_limits
from stoflow.services.auth import normalise_email

log = logging.getLogger(__name__)

RESENDS_PER_HOUR = 3  # per address: a mailbox is not ours to flood
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is a DoS, not a secret


@dataclass(frozen=True, slots=True)
class QuotaView:
    tier: str
    max_products: int | None
    ai_credits_monthly: int
    ai_credits_used: int
    ai_credits_remaining: int
    period_start: date


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    email: str
    role: str
    tenant_id: int
    email_verified: bool
    created_at: datetime
    quota: QuotaView


def validate_password(password: str) -> None:
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        raise InvalidInput(f"password must be at least {minimum} characters", code="weak_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password too long", code="weak_password")


def _issue_verification(session: Session, user_id: int, now: datetime) -> str:
    token = new_token()
    ttl = get_settings().email_verification_ttl_s
    email_verifications.add(session, user_id, digest(token), now + timedelta(seconds=ttl))
    return token


def register(email: str, password: str, client_ip: str) -> Profile:
    from stoflow.auth.passwords import hash_password
    from stoflow.db import provisioning as tenant_service  # imports Alembic: only when registering

    settings = get_settings()
    email = normalise_email(email)
    validate_password(password)
    now = clock.now()
    with shared_session() as session:
        refusal = rate_limits.hit(
            session, f"register:ip:{client_ip}", settings.register_rate_per_ip, settings.rate_window_s, now, "register"
        )
    if refusal:
        raise refusal.exception()

    password_hash = hash_password(password)  # before the transaction: it holds no lock meanwhile
    with shared_session() as session:
        user_id = users.insert_user(session, email, password_hash)
        if user_id is None:
            raise EmailTaken()
        # Same transaction: a failing schema creation rolls the user back, and a user never
        # exists without their tenant (tenant id = user id).
        tenant_service.provision(session.connection(), user_id)
        token = _issue_verification(session, user_id, now)
        profile = _profile(session, user_id)
    try:
        send_verification_email(email, token)
    except Exception:
        # The account exists; the user can ask for another link. Not worth failing registration.
        log.exception("verification email failed", extra={"user_id": user_id})
    return profile


def send_verification_email(email: str, token: str) -> None:
    from stoflow.services.verification_mail import send_verification_email as send

    send(email, token)


def verify_email(token: str) -> None:
    now = clock.now()
    with shared_session() as session:
        pending = email_verifications.lock_by_hash(session, digest(token))
        if pending is None or pending.used_at is not None or pending.expires_at <= now:
            raise InvalidVerificationToken()
        email_verifications.mark_used(session, pending.id, now)
        users.mark_email_verified(session, pending.user_id, now)


def resend_verification(email: str, client_ip: str) -> None:
    """Send a new link if the address is registered and unverified; the answer never says which."""
    settings = get_settings()
    email = normalise_email(email)
    now = clock.now()
    with shared_session() as session:
        refusal = rate_limits.hit(
            session,
            f"verify:ip:{client_ip}",
            settings.register_rate_per_ip,
            settings.rate_window_s,
            now,
            "verification",
        ) or rate_limits.hit(
            session,
            f"verify:acct:{rate_limits.account_key(email)}",
            RESENDS_PER_HOUR,
            3600,
            now,
            "verification",
        )
        credentials = None if refusal else users.credentials_by_email(session, email)
        token = None
        if credentials is not None and credentials.email_verified_at is None:
            token = _issue_verification(session, credentials.id, now)
    if refusal:
        raise refusal.exception()
    if token is not None:
        send_verification_email(email, token)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _profile(session: Session, user_id: int) -> Profile:
    period = _month_start(clock.now().date())
    row = users.profile(session, user_id, period)
    if row is None:
        raise NotFound("no such user", code="user_not_found")
    return Profile(
        id=row.id,
        email=row.email,
        role=row.role,
        tenant_id=row.id,
        email_verified=row.email_verified_at is not None,
        created_at=row.created_at,
        quota=QuotaView(
            tier=row.tier,
            max_products=row.max_products,
            ai_credits_monthly=row.ai_credits_monthly,
            ai_credits_used=row.ai_credits_used,
            ai_credits_remaining=max(0, row.ai_credits_monthly - row.ai_credits_used),
            period_start=period,
        ),
    )


def profile(session: Session, user_id: int) -> Profile:
    """The account as the dashboard shows it, read in the caller's transaction."""
    return _profile(session, user_id)
