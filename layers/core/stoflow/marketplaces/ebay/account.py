"""A tenant's eBay account as the handlers and services use it: an authenticated client, and the
listing settings (marketplace, location, policies, default category) read from its connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stoflow.marketplaces.common.http import MarketplaceHttp
from stoflow.marketplaces.common.tokens import AccountTokens, SessionFactory, not_connected
from stoflow.marketplaces.ebay.client import POLICY_KINDS, EbayClient
from stoflow.marketplaces.ebay.oauth import EbayOAuth, api_base_url
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import marketplace_accounts as accounts

DEFAULT_LOCATION_KEY = "stoflow-default"


def client_for(sessions: SessionFactory) -> EbayClient:
    http = MarketplaceHttp("ebay", api_base_url())
    return EbayClient(http, AccountTokens("ebay", EbayOAuth(http), sessions))


@dataclass
class EbayAccountSettings:
    marketplace_id: str
    merchant_location_key: str
    location: dict[str, Any]
    default_category_id: str | None
    fulfillment_policy_id: str | None
    payment_policy_id: str | None
    return_policy_id: str | None
    location_ready: bool


def read_settings(sessions: SessionFactory) -> EbayAccountSettings:
    with sessions() as session:
        row = accounts.get(session, EbayCredentials)
        if row is None or row.status != "connected":
            raise not_connected("ebay")
        return EbayAccountSettings(
            marketplace_id=row.marketplace_id,
            merchant_location_key=row.merchant_location_key or DEFAULT_LOCATION_KEY,
            location=dict(row.location or {}),
            default_category_id=row.default_category_id,
            fulfillment_policy_id=row.fulfillment_policy_id,
            payment_policy_id=row.payment_policy_id,
            return_policy_id=row.return_policy_id,
            location_ready=row.merchant_location_key is not None,
        )


def save_settings(sessions: SessionFactory, values: dict[str, Any]) -> None:
    with sessions() as session:
        row = accounts.get(session, EbayCredentials, lock=True)
        if row is None:
            raise not_connected("ebay")
        for key, value in values.items():
            setattr(row, key, value)


def all_policies(client: EbayClient, marketplace_id: str) -> dict[str, list[dict[str, Any]]]:
    """The seller's business policies of every kind, reduced to id and name."""
    result: dict[str, list[dict[str, Any]]] = {}
    for kind, (_, _, id_key) in POLICY_KINDS.items():
        result[kind] = [
            {"id": str(policy.get(id_key)), "name": policy.get("name"), "description": policy.get("description")}
            for policy in client.get_policies(kind, marketplace_id)
        ]
    return result
