"""Is Etsy connected for this tenant? (POST /jobs refuses Etsy jobs otherwise.)"""

from __future__ import annotations

from sqlalchemy.orm import Session

from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts


def is_connected(session: Session) -> bool:
    row = accounts.get(session, EtsyCredentials)
    return row is not None and row.status == "connected" and row.refresh_token_enc is not None
