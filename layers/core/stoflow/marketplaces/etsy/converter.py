"""Product → Etsy listing fields (createDraftListing / updateListing form fields, inventory).

who_made and when_made come from the product (stoflow.marketplaces.etsy.rules), never from a
default: readiness refused the job before if Etsy does not take the item. Etsy's regexes for materials
and tags (letters, digits, spaces; tags also - ' ™ © ®) are applied here, so a listing is never
refused for a stray character. Photos come from stoflow.domain.photos (never the label)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.domain.photos import photos_for_marketplace
from stoflow.domain.readiness import ProductFacts
from stoflow.jobs.errors import PermanentJobError
from stoflow.marketplaces.etsy import MARKETPLACE
from stoflow.marketplaces.etsy.rules import when_made, who_made
from stoflow.models.catalog import Brand, Category, Color, Material
from stoflow.models.images import ProductImage
from stoflow.models.products import Product

TITLE_MAX = 140
TAGS_MAX = 13
TAG_LENGTH_MAX = 20
_NOT_MATERIAL = re.compile(r"[^\w\s]|_", re.UNICODE)
_NOT_TAG = re.compile(r"[^\w\s\-'™©®]|_", re.UNICODE)


@dataclass
class EtsyListingDraft:
    fields: dict[str, Any]
    price: Decimal
    quantity: int
    photos: list[ProductImage]
    sku: str
    readiness_state_id: int | None = None


def _names(session: Session, model: type[Any], ids: list[int]) -> list[str]:
    if not ids:
        return []
    rows = {row.id: row.name for row in session.scalars(select(model).where(model.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def clean_materials(names: list[str]) -> list[str]:
    return [m for m in (" ".join(_NOT_MATERIAL.sub(" ", n).split()) for n in names) if m]


def clean_tags(words: list[str]) -> list[str]:
    tags: list[str] = []
    for word in words:
        tag = " ".join(_NOT_TAG.sub(" ", word).split())[:TAG_LENGTH_MAX].strip()
        if tag and tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    return tags[:TAGS_MAX]


def listing_draft(
    session: Session,
    product: Product,
    facts: ProductFacts,
    *,
    taxonomy_id: int | None,
    shipping_profile_id: int | None,
    return_policy_id: int | None,
    readiness_state_id: int | None,
) -> EtsyListingDraft:
    if product.price is None or product.price <= 0:
        raise PermanentJobError("the product has no price", code="price_missing")
    if taxonomy_id is None:
        raise PermanentJobError(
            "choose an Etsy taxonomy (job input taxonomy_id or the account default)", code="etsy_taxonomy_missing"
        )
    if shipping_profile_id is None:
        raise PermanentJobError(
            "choose an Etsy shipping profile for physical listings", code="etsy_shipping_profile_missing"
        )
    made = when_made(facts.year_made) if facts.year_made is not None else None
    if made is None:
        raise PermanentJobError("Etsy needs the year (or decade) the item was made", code="etsy_year_made_missing")
    photos = photos_for_marketplace(session, product.id, MARKETPLACE.photo_limit)
    if not photos:
        raise PermanentJobError("Etsy needs at least one photo (labels do not count)", code="photos_missing")
    brand = _names(session, Brand, [product.brand_id]) if product.brand_id else []
    category = _names(session, Category, [product.category_id]) if product.category_id else []
    colors = _names(session, Color, list(product.color_ids or []))
    fields: dict[str, Any] = {
        "quantity": max(product.stock, 1),
        "title": product.title[:TITLE_MAX],
        "description": product.description or product.title,
        "price": float(product.price),
        "who_made": who_made(facts),
        "when_made": made,
        "taxonomy_id": taxonomy_id,
        "shipping_profile_id": shipping_profile_id,
        "return_policy_id": return_policy_id,
        "readiness_state_id": readiness_state_id,
        "materials": clean_materials(_names(session, Material, list(product.material_ids or []))) or None,
        "tags": clean_tags([*brand, *category, *colors]) or None,
        "is_supply": False,
        "type": "physical",
    }
    if product.parcel_weight_g:
        fields["item_weight"] = float(product.parcel_weight_g)
        fields["item_weight_unit"] = "g"
    return EtsyListingDraft(
        fields=fields,
        price=product.price,
        quantity=max(product.stock, 1),
        photos=photos,
        sku=product.sku or f"SF-{product.id}",
        readiness_state_id=readiness_state_id,
    )


# updateListing takes neither price nor quantity nor the processing profile: they live in the
# listing's inventory (updateListingInventory).
NOT_UPDATABLE = ("price", "quantity", "readiness_state_id")


def update_fields(draft: EtsyListingDraft) -> dict[str, Any]:
    return {k: v for k, v in draft.fields.items() if k not in NOT_UPDATABLE}


def inventory_body(draft: EtsyListingDraft) -> dict[str, Any]:
    return {
        "products": [
            {
                "sku": draft.sku,
                "property_values": [],
                "offerings": [
                    {
                        "price": float(draft.price),
                        "quantity": draft.quantity,
                        "is_enabled": True,
                        "readiness_state_id": draft.readiness_state_id,
                    }
                ],
            }
        ]
    }
