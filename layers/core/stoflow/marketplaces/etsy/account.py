"""A tenant's Etsy account as handlers and services use it: an authenticated client and the shop's
listing settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stoflow.domain.call_budget import SELLER
from stoflow.marketplaces.common.apps import etsy_keys
from stoflow.marketplaces.common.tokens import AccountTokens, SessionFactory, not_connected
from stoflow.marketplaces.etsy.calls import etsy_http
from stoflow.marketplaces.etsy.client import EtsyClient
from stoflow.marketplaces.etsy.oauth import EtsyOAuth
from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts


def client_for(sessions: SessionFactory, kind: str = SELLER) -> EtsyClient:
    """A client on the tenant's tokens, its calls counted as `kind` against the app's budget
    (stoflow.marketplaces.etsy.calls) when `client.http` is closed."""
    http = etsy_http(kind)
    keys = etsy_keys()
    return EtsyClient(http, AccountTokens("etsy", EtsyOAuth(http, keys), sessions), keys)


@dataclass
class EtsyAccountSettings:
    shop_id: int
    shipping_profile_id: int | None
    return_policy_id: int | None
    default_taxonomy_id: int | None
    readiness_state_id: int | None


def read_settings(sessions: SessionFactory) -> EtsyAccountSettings:
    with sessions() as session:
        row = accounts.get(session, EtsyCredentials)
        if row is None or row.status != "connected" or row.shop_id is None:
            raise not_connected("etsy")
        return EtsyAccountSettings(
            row.shop_id, row.shipping_profile_id, row.return_policy_id, row.default_taxonomy_id, row.readiness_state_id
        )


def save_settings(sessions: SessionFactory, values: dict[str, Any]) -> None:
    with sessions() as session:
        row = accounts.get(session, EtsyCredentials, lock=True)
        if row is None:
            raise not_connected("etsy")
        for key, value in values.items():
            setattr(row, key, value)
