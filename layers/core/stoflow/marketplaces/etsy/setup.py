"""Etsy account setup, from what we store (no call): connected to a shop, a shipping profile and
a processing profile chosen (Etsy needs both for a physical listing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.marketplaces.common.setup import step
from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts


def setup_steps(session: Session) -> list[dict[str, Any]]:
    row = accounts.get(session, EtsyCredentials)
    connected = row is not None and row.status == "connected" and row.shop_id is not None
    return [
        step("etsy_connect", connected, "Connect your Etsy shop."),
        step(
            "etsy_shipping_profile",
            row is not None and row.shipping_profile_id is not None,
            "Create a shipping profile in your Etsy shop, then choose it here.",
        ),
        step(
            "etsy_processing_profile",
            row is not None and row.readiness_state_id is not None,
            "Choose a processing profile (how long you take to ship); without one, your shop's first is used.",
        ),
    ]
