"""The password-reset message: sent through SES on AWS (moto in tests), printed locally."""

from __future__ import annotations

import logging

from stoflow.config import get_settings
from stoflow.services.dashboard_links import RESET_PASSWORD_ROUTE, dashboard_link
from stoflow.services.verification_mail import send_text_email

log = logging.getLogger(__name__)


def reset_link(token: str) -> str:
    return dashboard_link(RESET_PASSWORD_ROUTE, token)


def send_password_reset_email(to: str, token: str) -> None:
    settings = get_settings()
    link = reset_link(token)
    if settings.environment == "local":
        # The local cloud has no mail server: the link is printed for the developer to open.
        print(f"[stoflow] reset password of {to}: {link}", flush=True)
        return
    minutes = settings.password_reset_ttl_s // 60
    send_text_email(
        to,
        "Reset your StoFlow password",
        "Someone (we hope you) asked to reset the password of your StoFlow account.\n\n"
        f"Choose a new password within {minutes} minutes:\n{link}\n\n"
        "The link works once. If you did not ask, ignore this message: your password "
        "stays as it is.\n",
    )
    # Never the token or link in logs outside the local cloud: it is a credential.
    log.info("password reset email sent", extra={"to": to})
