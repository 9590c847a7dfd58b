"""What a tenant holds of an eBay account that was closed (eBay's Marketplace Account Deletion
notices): the buyer's username on our copies of their orders, and the seller's own connection
(tokens and identity) when the closed account is the one connected."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from stoflow.marketplaces.common.connector import CLEARED_TOKENS
from stoflow.models.ebay import EbayOrder
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import account_owners


def forget(session: Session, user_ids: Sequence[str], usernames: Sequence[str]) -> int:
    """Rows changed in this tenant."""
    changed = 0
    if usernames:
        result = session.execute(
            update(EbayOrder).where(EbayOrder.buyer_username.in_(list(usernames))).values(buyer_username=None)
        )
        changed += result.rowcount or 0
    matches = []
    if user_ids:
        matches.append(EbayCredentials.ebay_user_id.in_(list(user_ids)))
    if usernames:
        matches.append(EbayCredentials.username.in_(list(usernames)))
    if matches:
        result = session.execute(
            update(EbayCredentials)
            .where(or_(*matches))
            .values(status="disconnected", ebay_user_id=None, username=None, last_error=None, **CLEARED_TOKENS)
        )
        if result.rowcount:
            account_owners.release(session, "ebay", int(session.info["tenant_id"]))
        changed += result.rowcount or 0
    return changed
