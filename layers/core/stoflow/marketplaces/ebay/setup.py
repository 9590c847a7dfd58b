"""eBay account setup, from what we store (no call): connected, business policies chosen (eBay
lists only with a shipping, a payment and a return policy, which needs the seller's opt-in to
business policies), and a shipping location."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.marketplaces.common.setup import step
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import marketplace_accounts as accounts


def setup_steps(session: Session) -> list[dict[str, Any]]:
    row = accounts.get(session, EbayCredentials)
    connected = row is not None and row.status == "connected"
    policies = row is not None and all((row.fulfillment_policy_id, row.payment_policy_id, row.return_policy_id))
    location = row is not None and (
        bool(row.merchant_location_key)
        or bool((row.location or {}).get("country") and ({"postalCode", "city"} & (row.location or {}).keys()))
    )
    return [
        step("ebay_connect", connected, "Connect your eBay seller account."),
        step(
            "ebay_business_policies",
            policies,
            "Opt in to business policies on eBay (Account > Business policies), create a shipping, a payment "
            "and a return policy, then choose them here.",
        ),
        step("ebay_location", location, "Give the address your items ship from (country and postcode)."),
    ]
