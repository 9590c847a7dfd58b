"""Marketplace connections: connect (OAuth), disconnect, the state of every connection, and the
eBay business policies. Network calls happen outside database transactions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.errors import (
    InvalidInput,
    MarketplaceNotConnected,
    MarketplaceUnavailable,
    MarketplaceUnreachable,
    NotFound,
    OAuthExchangeFailed,
    StoflowError,
)
from stoflow.jobs.connections import is_connected
from stoflow.marketplaces.common import oauth_state
from stoflow.marketplaces.common.http import MarketplaceApiError, MarketplaceHttp
from stoflow.marketplaces.common.tokens import StaticTokens, token_columns
from stoflow.models.ebay import EbayCredentials
from stoflow.models.etsy import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts

log = logging.getLogger(__name__)

OAUTH_MARKETPLACES = ("ebay", "etsy")
CLEARED_TOKENS = {
    "access_token_enc": None,
    "refresh_token_enc": None,
    "access_expires_at": None,
    "refresh_expires_at": None,
}


def _check(marketplace: str) -> None:
    if marketplace not in OAUTH_MARKETPLACES:
        raise NotFound(f"no OAuth connection for {marketplace!r}", code="unknown_marketplace")


def _api_error(exc: MarketplaceApiError, what: str) -> StoflowError:
    if exc.host is not None:
        return unreachable(exc)
    if exc.kind == "permanent" and exc.status in (400, 401):
        return OAuthExchangeFailed(f"{exc.marketplace} refused the {what} ({exc.code}); start the connection again")
    return MarketplaceUnavailable(f"{exc.marketplace} failed the {what}: {exc.code}")


def unreachable(exc: MarketplaceApiError) -> MarketplaceUnreachable:
    """Nothing came back from the marketplace: say where we tried, and that it is worth retrying."""
    return MarketplaceUnreachable(
        f"{exc.marketplace} cannot be reached at {exc.host} ({exc.code}); try again later, or check the "
        "marketplace's base URL settings",
        host=exc.host,
    )


def start_connect(principal: Principal, marketplace: str) -> dict[str, Any]:
    """The URL to send the browser to, with a fresh state bound to this user."""
    _check(marketplace)
    if marketplace == "ebay":
        from stoflow.marketplaces.ebay import oauth as ebay_oauth

        ebay_oauth.authorize_url("probe")  # fails with 503 before a state is stored if not configured
        new = oauth_state.create("ebay", principal.user_id, principal.tenant_id)
        url = ebay_oauth.authorize_url(new.state)
    else:
        from stoflow.marketplaces.etsy import oauth as etsy_oauth

        verifier, challenge = oauth_state.pkce_pair()
        etsy_oauth.authorize_url("probe", challenge)
        new = oauth_state.create("etsy", principal.user_id, principal.tenant_id, code_verifier=verifier)
        url = etsy_oauth.authorize_url(new.state, challenge)
    return {"marketplace": marketplace, "authorization_url": url, "state": new.state, "expires_at": new.expires_at}


# What belongs to one Etsy shop and must not carry over when a tenant connects another.
ETSY_SHOP_SETTINGS_RESET: dict[str, Any] = {
    "orders_cursor": None,
    "orders_synced_at": None,
    "shipping_profile_id": None,
    "return_policy_id": None,
    "readiness_state_id": None,
}


def complete_connect(principal: Principal, marketplace: str, code: str, state: str) -> dict[str, Any]:
    """The callback: burn the state (it must be this user's), trade the code, store the tokens."""
    _check(marketplace)
    if not code or len(code) > 2048:
        raise InvalidInput("missing or malformed authorization code", code="invalid_oauth_code")
    verifier = oauth_state.consume(state, marketplace, principal.user_id, principal.tenant_id)
    now = datetime.now(UTC)
    settings = get_settings()
    if marketplace == "ebay":
        from stoflow.marketplaces.ebay.oauth import EbayOAuth, environment

        oauth = EbayOAuth()
        try:
            tokens = oauth.exchange_code(code)
        except MarketplaceApiError as exc:
            raise _api_error(exc, "authorization code") from None
        finally:
            oauth.http.close()
        values: dict[str, Any] = {
            "status": "connected",
            "environment": environment(),
            "marketplace_id": settings.ebay_marketplace_id,
            "connected_at": now,
            **token_columns(tokens, now),
        }
        with tenant_session(principal.tenant_id) as session:
            row = accounts.upsert(session, EbayCredentials, values)
            return _status("ebay", row)
    if verifier is None:
        raise InvalidInput("this authorization request has no PKCE verifier", code="invalid_oauth_state")
    from stoflow.marketplaces.common.apps import etsy_keys
    from stoflow.marketplaces.etsy.client import EtsyClient
    from stoflow.marketplaces.etsy.oauth import EtsyOAuth, api_base_url

    http = MarketplaceHttp("etsy", api_base_url())
    try:
        tokens = EtsyOAuth(http).exchange_code(code, verifier)
        me = EtsyClient(http, StaticTokens("etsy", tokens.access_token), etsy_keys()).get_me()
        shop_id = me.get("shop_id")
        shop_name = None
        if shop_id:
            shop_name = (
                EtsyClient(http, StaticTokens("etsy", tokens.access_token), etsy_keys())
                .get_shop(int(shop_id))
                .get("shop_name")
            )
    except MarketplaceApiError as exc:
        raise _api_error(exc, "authorization code") from None
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
            values.update(ETSY_SHOP_SETTINGS_RESET)
        row = accounts.upsert(session, EtsyCredentials, values)
        return _status("etsy", row)


def disconnect(session: Session, marketplace: str) -> None:
    """Forget the tokens (the row stays: order cursor and listing settings survive a reconnect)."""
    _check(marketplace)
    row = accounts.get(session, accounts.MODELS[marketplace], lock=True)
    if row is None or row.status == "disconnected":
        raise MarketplaceNotConnected(f"{marketplace} is not connected")
    for column, value in CLEARED_TOKENS.items():
        setattr(row, column, value)
    row.status = "disconnected"
    row.last_error = None


def _status(marketplace: str, row: EbayCredentials | EtsyCredentials | None) -> dict[str, Any]:
    if row is None:
        return {"marketplace": marketplace, "status": "disconnected", "connected": False}
    status: dict[str, Any] = {
        "marketplace": marketplace,
        "status": row.status,
        "connected": row.status == "connected",
        "connected_at": row.connected_at,
        "access_expires_at": row.access_expires_at,
        "refresh_expires_at": row.refresh_expires_at,
        "orders_synced_at": row.orders_synced_at,
        "last_error": row.last_error,
    }
    if isinstance(row, EbayCredentials):
        status.update(
            {
                "environment": row.environment,
                "marketplace_id": row.marketplace_id,
                "account": row.username,
                "settings": _ebay_settings(row),
            }
        )
    else:
        status.update({"account": row.shop_name, "shop_id": row.shop_id, "settings": _etsy_settings(row)})
    return status


def _ebay_settings(row: EbayCredentials) -> dict[str, Any]:
    return {
        "fulfillment_policy_id": row.fulfillment_policy_id,
        "payment_policy_id": row.payment_policy_id,
        "return_policy_id": row.return_policy_id,
        "default_category_id": row.default_category_id,
        "location": row.location,
        "merchant_location_key": row.merchant_location_key,
    }


def _etsy_settings(row: EtsyCredentials) -> dict[str, Any]:
    return {
        "shipping_profile_id": row.shipping_profile_id,
        "return_policy_id": row.return_policy_id,
        "default_taxonomy_id": row.default_taxonomy_id,
        "readiness_state_id": row.readiness_state_id,
    }


def _vinted_status(session: Session) -> dict[str, Any]:
    """Vinted is connected through the browser extension; its package may say more than yes/no."""
    from stoflow.jobs.handlers import _marketplace_module

    module = _marketplace_module("vinted", "connection")
    detail = getattr(module, "connection_status", None) if module is not None else None
    if callable(detail):
        return {"marketplace": "vinted", **detail(session)}
    connected = is_connected(session, "vinted")
    reported = accounts.vinted_session(session)
    return {
        "marketplace": "vinted",
        "status": "connected" if connected else "disconnected",
        "connected": connected,
        "via": "extension",
        "account": reported.login if reported else None,
        "logged_in": reported.logged_in if reported else None,
        "last_seen_at": reported.last_hello_at if reported else None,
    }


def list_connections(session: Session) -> list[dict[str, Any]]:
    return [
        _vinted_status(session),
        _status("ebay", accounts.get(session, EbayCredentials)),
        _status("etsy", accounts.get(session, EtsyCredentials)),
    ]


SETTINGS_FIELDS = {
    "ebay": {"fulfillment_policy_id", "payment_policy_id", "return_policy_id", "default_category_id", "location"},
    "etsy": {"shipping_profile_id", "return_policy_id", "default_taxonomy_id", "readiness_state_id"},
}


def update_settings(session: Session, marketplace: str, values: dict[str, Any]) -> dict[str, Any]:
    _check(marketplace)
    unknown = set(values) - SETTINGS_FIELDS[marketplace]
    if unknown:
        raise InvalidInput(f"unknown settings for {marketplace}: {sorted(unknown)}", code="unknown_setting")
    row = accounts.get(session, accounts.MODELS[marketplace], lock=True)
    if row is None or row.status == "disconnected":
        raise MarketplaceNotConnected(f"{marketplace} is not connected")
    for key, value in values.items():
        setattr(row, key, value)
    if marketplace == "ebay" and "location" in values:
        row.merchant_location_key = None  # a new address: the next publish creates the location again
    session.flush()
    return _status(marketplace, row)


def ebay_policies(tenant_id: int) -> dict[str, Any]:
    """The seller's business policies of every kind (read from eBay's Account API)."""
    from stoflow.marketplaces.ebay.account import all_policies, client_for, read_settings

    def sessions() -> Any:
        return tenant_session(tenant_id)

    try:
        settings = read_settings(sessions)
    except MarketplaceApiError:
        raise MarketplaceNotConnected("ebay is not connected") from None
    client = client_for(sessions)
    try:
        return {"marketplace_id": settings.marketplace_id, **all_policies(client, settings.marketplace_id)}
    except MarketplaceApiError as exc:
        if exc.code == "not_connected":
            raise MarketplaceNotConnected("ebay needs to be connected again") from None
        if exc.host is not None:
            raise unreachable(exc) from None
        raise MarketplaceUnavailable(f"eBay failed to list policies: {exc.code}") from None
    finally:
        client.http.close()
