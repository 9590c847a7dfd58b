"""SQLAlchemy models, loaded lazily.

`from stoflow.models import Product` imports only the module that defines Product: a function
that touches three tables does not pay, at cold start, for the thirty others (about 90 ms when
every area's models load). `load_all()` registers every table on the shared metadata, for what
needs them all (tenant provisioning, migrations checks).
"""

from __future__ import annotations

import importlib
from typing import Any

from stoflow.models.base import Base, metadata

_WHERE = {
    "AiCreditUsage": "identity",
    "Alert": "sales",
    "AuthSession": "sessions",
    "Brand": "catalog",
    "Category": "catalog",
    "CategoryMarketplaceId": "catalog",
    "Color": "catalog",
    "Condition": "catalog",
    "DeletionNotice": "deletion_notices",
    "DueWork": "scheduling",
    "EbayCredentials": "ebay_account",
    "EbayOrder": "ebay",
    "EbayProduct": "ebay",
    "EmailVerificationToken": "identity",
    "EtsyCredentials": "etsy_account",
    "EtsyOrder": "etsy",
    "EtsyProduct": "etsy",
    "ExtensionDevice": "extension",
    "ExtensionPairingCode": "extension",
    "Gender": "catalog",
    "MarketplaceAccountOwner": "account_owners",
    "MarketplaceBatch": "jobs",
    "MarketplaceCalls": "call_budgets",
    "MarketplaceJob": "jobs",
    "MarketplaceCategoryTree": "requirements",
    "MarketplaceListing": "listings",
    "MarketplaceRequirement": "requirements",
    "Material": "catalog",
    "OAuthState": "oauth",
    "OrderCheck": "sales",
    "PasswordResetToken": "password_resets",
    "Pattern": "catalog",
    "Product": "products",
    "ProductImage": "images",
    "PublicationHistory": "jobs",
    "RateLimitBucket": "identity",
    "RefreshToken": "sessions",
    "Sale": "sales",
    "Season": "catalog",
    "Size": "catalog",
    "SizeType": "catalog",
    "SubscriptionQuota": "identity",
    "Tenant": "public",
    "User": "public",
    "VintedConnection": "vinted_account",
    "VintedConversation": "vinted",
    "VintedOrder": "vinted",
    "VintedProduct": "vinted",
    "WsConnection": "realtime",
    "WsTicket": "realtime",
}
_MODULES = tuple(sorted(set(_WHERE.values())))


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'stoflow.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stoflow.models.{module}"), name)


def load_all() -> None:
    for module in _MODULES:
        importlib.import_module(f"stoflow.models.{module}")


__all__ = ["Base", "load_all", "metadata", *sorted(_WHERE)]
