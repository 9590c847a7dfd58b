"""SQLAlchemy models; importing this package registers every table on the shared metadata."""

from stoflow.models.base import Base, metadata
from stoflow.models.catalog import Brand
from stoflow.models.identity import (
    AiCreditUsage,
    AuthSession,
    EmailVerificationToken,
    RateLimitBucket,
    RefreshToken,
    SubscriptionQuota,
)
from stoflow.models.products import Product
from stoflow.models.public import Tenant, User

__all__ = [
    "AiCreditUsage",
    "AuthSession",
    "Base",
    "Brand",
    "EmailVerificationToken",
    "Product",
    "RateLimitBucket",
    "RefreshToken",
    "SubscriptionQuota",
    "Tenant",
    "User",
    "metadata",
]
