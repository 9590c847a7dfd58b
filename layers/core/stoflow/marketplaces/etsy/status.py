"""Etsy's connection status for GET /marketplaces, read from its credentials row (no call), without
loading the connect flow (stoflow.marketplaces.etsy.connect)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.marketplaces.common.account_status import oauth_status
from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts


def account(row: EtsyCredentials) -> dict[str, Any]:
    return {
        "account": row.shop_name,
        "shop_id": row.shop_id,
        "settings": {
            "shipping_profile_id": row.shipping_profile_id,
            "return_policy_id": row.return_policy_id,
            "default_taxonomy_id": row.default_taxonomy_id,
            "readiness_state_id": row.readiness_state_id,
        },
    }


def connection_status(session: Session) -> dict[str, Any]:
    return oauth_status("etsy", accounts.get(session, EtsyCredentials), account)
