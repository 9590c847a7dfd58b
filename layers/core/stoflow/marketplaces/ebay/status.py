"""eBay's connection status for GET /marketplaces, read from its credentials row (no call), without
loading the connect flow (stoflow.marketplaces.ebay.connect)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.marketplaces.common.account_status import oauth_status
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import marketplace_accounts as accounts


def account(row: EbayCredentials) -> dict[str, Any]:
    return {
        "environment": row.environment,
        "marketplace_id": row.marketplace_id,
        "account": row.username,
        # Whether eBay tells us of a sale within seconds (else the orders checks find it).
        "sale_notices": row.sale_notices or "needs_reconnect",
        "settings": {
            "fulfillment_policy_id": row.fulfillment_policy_id,
            "payment_policy_id": row.payment_policy_id,
            "return_policy_id": row.return_policy_id,
            "default_category_id": row.default_category_id,
            "location": row.location,
            "merchant_location_key": row.merchant_location_key,
        },
    }


def connection_status(session: Session) -> dict[str, Any]:
    return oauth_status("ebay", accounts.get(session, EbayCredentials), account)
