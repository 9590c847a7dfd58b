"""Is eBay connected for this tenant? (POST /jobs refuses eBay jobs otherwise.)"""

from __future__ import annotations

from sqlalchemy.orm import Session

from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import marketplace_accounts as accounts


def is_connected(session: Session) -> bool:
    row = accounts.get(session, EbayCredentials)
    return row is not None and row.status == "connected" and row.refresh_token_enc is not None
