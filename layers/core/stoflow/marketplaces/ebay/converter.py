"""Product → eBay inventory item and offer (Sell Inventory API shapes).

Conditions map to ConditionEnum values through the conditions catalogue (ebay_condition);
aspects (item specifics) come from stoflow.marketplaces.ebay.aspects, the mapping readiness
checks. Photos come from stoflow.domain.photos, which never returns a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.domain.photos import photos_for_marketplace
from stoflow.domain.readiness import ProductFacts
from stoflow.jobs.errors import PermanentJobError
from stoflow.marketplaces.common.photos import PhotoSource
from stoflow.marketplaces.ebay import MARKETPLACE
from stoflow.marketplaces.ebay.aspects import product_aspects
from stoflow.models.catalog import Brand, Condition
from stoflow.models.products import Product

TITLE_MAX = 80
SKU_MAX = 50


def sku_for(product: Product) -> str:
    return (product.sku or f"SF-{product.id}")[:SKU_MAX]


@dataclass
class EbayListingDraft:
    sku: str
    item: dict[str, Any]
    price: Decimal
    currency: str
    quantity: int
    description: str
    title: str


def _names(session: Session, model: type[Any], ids: list[int]) -> list[str]:
    if not ids:
        return []
    rows = {row.id: row.name for row in session.scalars(select(model).where(model.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def condition_for(session: Session, product: Product) -> str:
    condition = session.get(Condition, product.condition_id) if product.condition_id else None
    if condition is None or not condition.ebay_condition:
        raise PermanentJobError("the product has no condition eBay knows", code="ebay_condition_missing")
    return condition.ebay_condition


def _fetchable_by_ebay(url: str) -> bool:
    """eBay downloads photos over HTTPS only; the local sandbox also from the hosts it is told
    it can reach over the local network (settings refuse that list on AWS)."""
    if url.startswith("https://"):
        return True
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in get_settings().ebay_plain_http_photo_hosts


def listing_draft(
    session: Session, product: Product, photos: PhotoSource, language: str, facts: ProductFacts
) -> EbayListingDraft:
    """The inventory item (whole: the API replaces, it does not merge) and the offer's inputs."""
    if product.price is None or product.price <= 0:
        raise PermanentJobError("the product has no price", code="price_missing")
    images = photos_for_marketplace(session, product.id, MARKETPLACE.photo_limit)
    if not images:
        raise PermanentJobError("eBay needs at least one photo (labels do not count)", code="photos_missing")
    urls = [photos.url(image) for image in images]
    if not all(_fetchable_by_ebay(url) for url in urls):
        # eBay fetches the photos itself, over HTTPS only (a local or plain-HTTP store cannot serve it).
        raise PermanentJobError("eBay needs photo URLs it can fetch over HTTPS", code="photos_not_https")
    title = product.title[:TITLE_MAX]
    description = product.description or product.title
    item: dict[str, Any] = {
        "availability": {"shipToLocationAvailability": {"quantity": max(product.stock, 0)}},
        "condition": condition_for(session, product),
        "product": {
            "title": title,
            "description": description,
            "aspects": product_aspects(facts, language),
            "imageUrls": urls,
        },
    }
    brand = _names(session, Brand, [product.brand_id]) if product.brand_id else []
    if brand:
        item["product"]["brand"] = brand[0]
    if product.parcel_weight_g:
        item["packageWeightAndSize"] = {"weight": {"value": float(product.parcel_weight_g), "unit": "GRAM"}}
    return EbayListingDraft(
        sku=sku_for(product),
        item=item,
        price=product.price,
        currency=product.currency,
        quantity=max(product.stock, 0),
        description=description,
        title=title,
    )


@dataclass
class OfferSettings:
    marketplace_id: str
    category_id: str
    merchant_location_key: str
    fulfillment_policy_id: str
    payment_policy_id: str
    return_policy_id: str


def offer_body(draft: EbayListingDraft, settings: OfferSettings, *, for_update: bool = False) -> dict[str, Any]:
    """createOffer body (EbayOfferDetailsWithKeys), or the updateOffer one (EbayOfferDetailsWithId:
    the same minus sku, marketplaceId and format, which an offer cannot change)."""
    body: dict[str, Any] = {
        "availableQuantity": draft.quantity,
        "categoryId": settings.category_id,
        "listingDescription": draft.description,
        "listingPolicies": {
            "fulfillmentPolicyId": settings.fulfillment_policy_id,
            "paymentPolicyId": settings.payment_policy_id,
            "returnPolicyId": settings.return_policy_id,
        },
        "merchantLocationKey": settings.merchant_location_key,
        "pricingSummary": {"price": {"value": f"{draft.price:.2f}", "currency": draft.currency}},
    }
    if not for_update:
        body.update({"sku": draft.sku, "marketplaceId": settings.marketplace_id, "format": "FIXED_PRICE"})
    return body


def location_body(location: dict[str, Any], name: str = "StoFlow") -> dict[str, Any]:
    address = {
        k: str(v)
        for k, v in location.items()
        if k in ("addressLine1", "city", "postalCode", "country", "stateOrProvince") and v
    }
    if "country" not in address or not ({"postalCode", "city"} & address.keys()):
        raise PermanentJobError(
            "set the eBay shipping location (country and postal code or city) first", code="ebay_location_missing"
        )
    return {
        "location": {"address": address},
        "locationTypes": ["WAREHOUSE"],
        "name": name,
        "merchantLocationStatus": "ENABLED",
    }
