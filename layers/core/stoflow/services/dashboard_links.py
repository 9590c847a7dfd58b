"""Links sent by email point at the dashboard's routes, on the configured dashboard origin.

The dashboard reads the token from the query string and calls the API (POST /auth/verify-email,
POST /auth/password/reset): a link never calls the API by itself, so opening it in a mail
client's preview changes nothing."""

from __future__ import annotations

from urllib.parse import quote

from stoflow.config import get_settings

__all__ = ["RESET_PASSWORD_ROUTE", "VERIFY_EMAIL_ROUTE", "dashboard_link"]

VERIFY_EMAIL_ROUTE = "/verify-email"
RESET_PASSWORD_ROUTE = "/reset-password"  # noqa: S105 (a dashboard route, not a secret)


def dashboard_link(route: str, token: str) -> str:
    return f"{get_settings().dashboard_origin.rstrip('/')}{route}?token={quote(token, safe='')}"
