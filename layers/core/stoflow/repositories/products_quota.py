"""The tier's product allowance, read from the identity tables (public schema)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from stoflow.models.identity import SubscriptionQuota
from stoflow.models.public import User

# Built once: each product creation reads it (statement building is most of a warm request's ORM time).
_TIER_MAX_PRODUCTS = (
    select(SubscriptionQuota.max_products)
    .select_from(User)
    .join(SubscriptionQuota, SubscriptionQuota.tier == User.tier)
    .where(User.id == bindparam("user_id"))
)


def tier_max_products(session: Session, user_id: int) -> tuple[bool, int | None]:
    """(found, max_products): found is False when the user has no row (a tenant without account)."""
    row = session.connection().execute(_TIER_MAX_PRODUCTS, {"user_id": user_id}).first()
    return (False, None) if row is None else (True, row[0])
