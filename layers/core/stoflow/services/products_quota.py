"""How many live products a tenant may keep. A tenant's id is its owner's user id."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.repositories.products_quota import tier_max_products

# (session, tenant_id) -> the allowance, None for unlimited. Unit tests pass their own.
QuotaReader = Callable[[Session, int], "int | None"]


def tier_product_quota(session: Session, tenant_id: int) -> int | None:
    found, max_products = tier_max_products(session, tenant_id)
    if not found:
        return get_settings().default_product_quota
    return max_products
