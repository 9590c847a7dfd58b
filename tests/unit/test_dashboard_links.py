"""Links sent by email point at dashboard routes on a typed, validated dashboard origin."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stoflow.config import Settings, get_settings
from stoflow.services.dashboard_links import RESET_PASSWORD_ROUTE, VERIFY_EMAIL_ROUTE, dashboard_link


@pytest.mark.parametrize("origin", ["https://app.stoflow.fr", "http://localhost:5173", "http://127.0.0.1:8080"])
def test_an_origin_is_accepted(origin) -> None:
    assert Settings(dashboard_origin=origin).dashboard_origin == origin


@pytest.mark.parametrize(
    "origin", ["app.stoflow.fr", "https://app.stoflow.fr/", "https://app.stoflow.fr/x", "ftp://a", "https://a b"]
)
def test_anything_but_an_origin_is_refused(origin) -> None:
    with pytest.raises(ValidationError):
        Settings(dashboard_origin=origin)


def test_links_are_dashboard_routes_with_the_token_quoted(monkeypatch) -> None:
    monkeypatch.setenv("STOFLOW_DASHBOARD_ORIGIN", "https://app.stoflow.fr")
    get_settings.cache_clear()
    try:
        assert dashboard_link(VERIFY_EMAIL_ROUTE, "a/b+c") == "https://app.stoflow.fr/verify-email?token=a%2Fb%2Bc"
        assert dashboard_link(RESET_PASSWORD_ROUTE, "t").startswith("https://app.stoflow.fr/reset-password?token=")
    finally:
        monkeypatch.delenv("STOFLOW_DASHBOARD_ORIGIN")
        get_settings.cache_clear()
