"""Connecting an eBay account: OAuth authorization code (with the RuName), the account's status
and listing settings, and the seller's business policies (GET /marketplaces/ebay/policies)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.errors import MarketplaceNotConnected, MarketplaceUnavailable
from stoflow.marketplaces.common import oauth_state
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.marketplaces.common.connector import OAuthConnector, api_error, check_code
from stoflow.marketplaces.common.tokens import token_columns
from stoflow.marketplaces.ebay.status import account as account_status
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import account_owners
from stoflow.repositories import marketplace_accounts as accounts


class EbayConnector(OAuthConnector):
    name = "ebay"
    model = EbayCredentials
    settings_fields = frozenset(
        {"fulfillment_policy_id", "payment_policy_id", "return_policy_id", "default_category_id", "location"}
    )

    def start(self, principal: Principal) -> dict[str, Any]:
        from stoflow.marketplaces.ebay import oauth

        oauth.authorize_url("probe")  # fails with 503 before a state is stored if not configured
        new = oauth_state.create(self.name, principal.user_id, principal.tenant_id)
        url = oauth.authorize_url(new.state)
        return {"marketplace": self.name, "authorization_url": url, "state": new.state, "expires_at": new.expires_at}

    def complete(self, principal: Principal, code: str, state: str) -> dict[str, Any]:
        from stoflow.marketplaces.ebay.oauth import EbayOAuth, environment

        check_code(code)
        oauth_state.consume(state, self.name, principal.user_id, principal.tenant_id)
        now = datetime.now(UTC)
        oauth = EbayOAuth()
        try:
            tokens = oauth.exchange_code(code)
        except MarketplaceApiError as exc:
            raise api_error(exc, "authorization code") from None
        finally:
            oauth.http.close()
        values: dict[str, Any] = {
            "status": "connected",
            "environment": environment(),
            "marketplace_id": get_settings().ebay_marketplace_id,
            "connected_at": now,
            "sale_notices": "pending",  # until the watch_sales job queued below has run
            **token_columns(tokens, now),
        }
        with tenant_session(principal.tenant_id) as session:
            row = accounts.upsert(session, EbayCredentials, values)
            watch_sales(session, principal.tenant_id)
            return self.status(row)

    def token_app(self) -> Any:
        from stoflow.marketplaces.ebay.oauth import EbayOAuth

        return EbayOAuth()

    def account(self, row: EbayCredentials) -> dict[str, Any]:
        return account_status(row)

    def disconnect(self, session: Any) -> None:
        super().disconnect(session)
        # Its sale notices no longer reach this tenant (eBay stops sending them once the grant is gone).
        account_owners.release(session, self.name, int(session.info["tenant_id"]))

    def changed_settings(self, row: EbayCredentials, values: dict[str, Any]) -> None:
        if "location" in values:
            row.merchant_location_key = None  # a new address: the next publish creates the location again


def watch_sales(session: Any, tenant_id: int) -> None:
    """Queue the job that reads who the seller is and subscribes their sale notices
    (stoflow.marketplaces.ebay.order_notices); it leaves after the connection commits."""
    from stoflow.jobs.service import JobRequest, enqueue_in_session
    from stoflow.marketplaces.ebay.order_notices import WATCH_ACTION

    enqueue_in_session(session, tenant_id, JobRequest("ebay", WATCH_ACTION), validate=False)


def policies(tenant_id: int) -> dict[str, Any]:
    """The seller's business policies of every kind (read from eBay's Account API)."""
    from stoflow.marketplaces.common.connector import unreachable
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
