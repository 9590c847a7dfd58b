"""Etsy OAuth2: authorization code with PKCE (S256). Access tokens live 1 hour; refresh tokens
90 days and are rotated by every refresh (the new one must be stored, the old one is dead)."""

from __future__ import annotations

from urllib.parse import urlencode

from stoflow.config import get_settings
from stoflow.marketplaces.common.apps import EtsyAppKeys, etsy_keys, not_configured
from stoflow.marketplaces.common.http import MarketplaceHttp
from stoflow.marketplaces.common.tokens import TokenSet

TOKEN_PATH = "/v3/public/oauth/token"  # noqa: S105 (a path, not a secret)
REFRESH_TOKEN_TTL_S = 90 * 24 * 3600


def api_base_url() -> str:
    return get_settings().etsy_api_base_url


def redirect_uri() -> str:
    settings = get_settings()
    if settings.etsy_redirect_uri:
        return settings.etsy_redirect_uri
    if settings.environment in ("dev", "prod"):
        raise not_configured("Etsy", ["STOFLOW_ETSY_REDIRECT_URI"])
    return f"{settings.public_base_url}/marketplaces/etsy/callback"


def authorize_url(state: str, code_challenge: str, keys: EtsyAppKeys | None = None) -> str:
    keys = keys or etsy_keys()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": keys.keystring,
            "redirect_uri": redirect_uri(),
            "scope": " ".join(get_settings().etsy_scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{get_settings().etsy_authorize_url}?{query}"


def _token_set(body: dict[str, object]) -> TokenSet:
    return TokenSet(
        access_token=str(body["access_token"]),
        expires_in=int(str(body.get("expires_in", 3600))),
        refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
        refresh_expires_in=REFRESH_TOKEN_TTL_S,
    )


class EtsyOAuth:
    marketplace = "etsy"

    def __init__(self, http: MarketplaceHttp | None = None, keys: EtsyAppKeys | None = None) -> None:
        self.keys = keys or etsy_keys()
        if http is None:
            # Alone (the scheduled refresh): its calls count as token upkeep in the app's budget.
            from stoflow.domain.call_budget import TOKENS
            from stoflow.marketplaces.etsy.calls import etsy_http

            http = etsy_http(TOKENS)
        self.http = http

    def _token(self, form: dict[str, str]) -> TokenSet:
        response = self.http.request("POST", TOKEN_PATH, data=form, idempotent=False)
        return _token_set(response.json())

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        return self._token(
            {
                "grant_type": "authorization_code",
                "client_id": self.keys.keystring,
                "redirect_uri": redirect_uri(),
                "code": code,
                "code_verifier": code_verifier,
            }
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token(
            {"grant_type": "refresh_token", "client_id": self.keys.keystring, "refresh_token": refresh_token}
        )
