"""Connecting an Etsy shop: OAuth with PKCE (S256), the shop's status and listing settings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from stoflow.auth.principal import Principal
from stoflow.db.tenancy import tenant_session
from stoflow.errors import InvalidInput
from stoflow.marketplaces.common import oauth_state
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.marketplaces.common.connector import OAuthConnector, api_error, check_code
from stoflow.marketplaces.common.tokens import StaticTokens, token_columns
from stoflow.marketplaces.etsy import MARKETPLACE
from stoflow.marketplaces.etsy.status import account as account_status
from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts

log = logging.getLogger(__name__)

# What belongs to one Etsy shop and must not carry over when a tenant connects another.
SHOP_SETTINGS_RESET: dict[str, Any] = {
    "orders_cursor": None,
    "orders_synced_at": None,
    "shipping_profile_id": None,
    "return_policy_id": None,
    "readiness_state_id": None,
}


class EtsyConnector(OAuthConnector):
    name = "etsy"
    model = EtsyCredentials
    settings_fields = frozenset(
        {"shipping_profile_id", "return_policy_id", "default_taxonomy_id", "readiness_state_id"}
    )

    def start(self, principal: Principal) -> dict[str, Any]:
        from stoflow.marketplaces.etsy import oauth

        verifier, challenge = oauth_state.pkce_pair()
        oauth.authorize_url("probe", challenge)  # fails with 503 before a state is stored if not configured
        new = oauth_state.create(self.name, principal.user_id, principal.tenant_id, code_verifier=verifier)
        url = oauth.authorize_url(new.state, challenge)
        return {"marketplace": self.name, "authorization_url": url, "state": new.state, "expires_at": new.expires_at}

    def complete(self, principal: Principal, code: str, state: str) -> dict[str, Any]:
        from stoflow.marketplaces.common.apps import etsy_keys
        from stoflow.marketplaces.etsy.calls import etsy_http
        from stoflow.marketplaces.etsy.client import EtsyClient
        from stoflow.marketplaces.etsy.oauth import EtsyOAuth

        check_code(code)
        verifier = oauth_state.consume(state, self.name, principal.user_id, principal.tenant_id)
        now = datetime.now(UTC)
        if verifier is None:
            raise InvalidInput("this authorization request has no PKCE verifier", code="invalid_oauth_state")
        http = etsy_http()
        try:
            tokens = EtsyOAuth(http).exchange_code(code, verifier)
            me = EtsyClient(http, StaticTokens(self.name, tokens.access_token), etsy_keys()).get_me()
            shop_id = me.get("shop_id")
            shop_name = None
            if shop_id:
                shop_name = (
                    EtsyClient(http, StaticTokens(self.name, tokens.access_token), etsy_keys())
                    .get_shop(int(shop_id))
                    .get("shop_name")
                )
        except MarketplaceApiError as exc:
            raise api_error(exc, "authorization code") from None
        finally:
            http.close()
        if not shop_id:
            raise InvalidInput("this Etsy account has no shop", code="etsy_no_shop")
        values = {
            "status": "connected",
            "etsy_user_id": me.get("user_id"),
            "shop_id": int(shop_id),
            "shop_name": shop_name,
            "connected_at": now,
            **token_columns(tokens, now),
        }
        with tenant_session(principal.tenant_id) as session:
            previous = accounts.get(session, EtsyCredentials, lock=True)
            if previous is not None and previous.shop_id not in (None, int(shop_id)):
                # Another shop: the old shop's receipts cursor and its profiles mean nothing here.
                log.warning(
                    "etsy: tenant %s reconnected to another shop; its order cursor starts over", principal.tenant_id
                )
                values.update(SHOP_SETTINGS_RESET)
            return self.status(
                accounts.upsert(session, EtsyCredentials, values, refresh_on_use=MARKETPLACE.refresh_on_use)
            )

    def token_app(self) -> Any:
        from stoflow.marketplaces.etsy.oauth import EtsyOAuth

        return EtsyOAuth()

    def account(self, row: EtsyCredentials) -> dict[str, Any]:
        return account_status(row)
