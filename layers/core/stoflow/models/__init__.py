"""SQLAlchemy models; importing this package registers every table on the shared metadata."""

from stoflow.models.base import Base, metadata
from stoflow.models.catalog import (
    Brand,
    Category,
    Color,
    Condition,
    Gender,
    Material,
    Pattern,
    Season,
    Size,
)
from stoflow.models.ebay import EbayCredentials, EbayOrder, EbayProduct
from stoflow.models.etsy import EtsyCredentials, EtsyOrder, EtsyProduct
from stoflow.models.extension import ExtensionDevice, ExtensionPairingCode
from stoflow.models.identity import (
    AiCreditUsage,
    AuthSession,
    EmailVerificationToken,
    RateLimitBucket,
    RefreshToken,
    SubscriptionQuota,
)
from stoflow.models.images import ProductImage
from stoflow.models.jobs import MarketplaceBatch, MarketplaceJob, MarketplaceListing, PublicationHistory
from stoflow.models.oauth import OAuthState
from stoflow.models.products import Product
from stoflow.models.public import Tenant, User
from stoflow.models.realtime import WsConnection, WsTicket
from stoflow.models.vinted import VintedConnection, VintedConversation, VintedOrder, VintedProduct

__all__ = [
    "AiCreditUsage",
    "AuthSession",
    "Base",
    "Brand",
    "Category",
    "Color",
    "Condition",
    "EbayCredentials",
    "EbayOrder",
    "EbayProduct",
    "EmailVerificationToken",
    "EtsyCredentials",
    "EtsyOrder",
    "EtsyProduct",
    "ExtensionDevice",
    "ExtensionPairingCode",
    "Gender",
    "MarketplaceBatch",
    "MarketplaceJob",
    "MarketplaceListing",
    "Material",
    "OAuthState",
    "Pattern",
    "Product",
    "ProductImage",
    "PublicationHistory",
    "RateLimitBucket",
    "RefreshToken",
    "Season",
    "Size",
    "SubscriptionQuota",
    "Tenant",
    "User",
    "VintedConnection",
    "VintedConversation",
    "VintedOrder",
    "VintedProduct",
    "WsConnection",
    "WsTicket",
    "metadata",
]
