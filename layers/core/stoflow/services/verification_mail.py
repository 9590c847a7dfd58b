"""The email-verification message: sent through SES on AWS (moto in tests), logged locally."""

from __future__ import annotations

import logging

from stoflow.aws import send_text_email
from stoflow.config import get_settings

log = logging.getLogger(__name__)


def verification_link(token: str) -> str:
    from stoflow.services.dashboard_links import VERIFY_EMAIL_ROUTE, dashboard_link

    return dashboard_link(VERIFY_EMAIL_ROUTE, token)


def send_verification_email(to: str, token: str) -> None:
    settings = get_settings()
    link = verification_link(token)
    if settings.environment == "local":
        # The local cloud has no mail server: the link is printed for the developer to open.
        log.info("verification email (local, not sent)", extra={"to": to, "link": link})
        print(f"[stoflow] verify {to}: {link}", flush=True)
        return
    hours = settings.email_verification_ttl_s // 3600
    send_text_email(
        to,
        "Confirm your StoFlow email address",
        f"Welcome to StoFlow.\n\nConfirm your address within {hours} hours:\n{link}\n",
    )
    # Never the token or link in logs outside the local cloud: it is a credential.
    log.info("verification email sent", extra={"to": to})
