"""eBay OAuth2 authorization code grant. The redirect_uri eBay expects is the RuName (a name
registered for the app), both in the authorize URL and in the code exchange. Access tokens live
2 hours; refresh tokens about 18 months and are not rotated by a refresh."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from stoflow.config import get_settings
from stoflow.marketplaces.common.apps import EbayAppKeys, ebay_keys
from stoflow.marketplaces.common.http import MarketplaceHttp
from stoflow.marketplaces.common.tokens import TokenSet

HOSTS = {
    "sandbox": ("https://api.sandbox.ebay.com", "https://auth.sandbox.ebay.com"),
    "production": ("https://api.ebay.com", "https://auth.ebay.com"),
}
TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 (a path, not a secret)


def environment() -> str:
    """sandbox or production: as the app keys say (on AWS), else as configured."""
    return ebay_keys().environment


def api_base_url() -> str:
    return get_settings().ebay_api_base_url or HOSTS[environment()][0]


# Commerce Identity (getUser) is served from eBay's apiz hosts, not its api hosts.
IDENTITY_HOSTS = {"sandbox": "https://apiz.sandbox.ebay.com", "production": "https://apiz.ebay.com"}


def identity_base_url() -> str:
    """Where getUser is sent: the configured API base URL where one is set (the local sandboxes
    serve both), else eBay's apiz host."""
    return get_settings().ebay_api_base_url or IDENTITY_HOSTS[environment()]


def auth_base_url() -> str:
    return get_settings().ebay_auth_base_url or HOSTS[environment()][1]


def authorize_url(state: str, keys: EbayAppKeys | None = None) -> str:
    keys = keys or ebay_keys()
    query = urlencode(
        {
            "client_id": keys.client_id,
            "redirect_uri": keys.ru_name,
            "response_type": "code",
            "scope": " ".join(get_settings().ebay_scopes),
            "state": state,
        }
    )
    return f"{auth_base_url()}/oauth2/authorize?{query}"


def _token_set(body: dict[str, object]) -> TokenSet:
    return TokenSet(
        access_token=str(body["access_token"]),
        expires_in=int(str(body.get("expires_in", 7200))),
        refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
        refresh_expires_in=int(str(body["refresh_token_expires_in"])) if body.get("refresh_token_expires_in") else None,
    )


class EbayOAuth:
    marketplace = "ebay"

    def __init__(self, http: MarketplaceHttp | None = None, keys: EbayAppKeys | None = None) -> None:
        self.keys = keys or ebay_keys()
        self.http = http or MarketplaceHttp("ebay", api_base_url())

    def _token(self, form: dict[str, str]) -> TokenSet:
        response = self.http.request(
            "POST",
            TOKEN_PATH,
            data=form,
            auth=httpx.BasicAuth(self.keys.client_id, self.keys.client_secret),
            idempotent=False,
        )
        return _token_set(response.json())

    def exchange_code(self, code: str) -> TokenSet:
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.keys.ru_name})

    def application_token(self) -> str:
        """An application access token (client credentials), for calls made as the app itself
        (the Notification API's public keys)."""
        return self._token(
            {"grant_type": "client_credentials", "scope": "https://api.ebay.com/oauth/api_scope"}
        ).access_token

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "scope": " ".join(get_settings().ebay_scopes),
            }
        )
