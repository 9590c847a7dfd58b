"""Product -> the item payload the extension sends to Vinted's item_upload (vinted.publish/update).

Pure rules in `build_item` (tested without a database), database look-ups in `item_for_product`.
Photos come from stoflow.domain.photos (the one place that chooses photos: never a label) as
presigned URLs the extension downloads; the images themselves never cross the WebSocket.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.jobs.errors import PermanentJobError
from stoflow.marketplaces.vinted import MARKETPLACE, mapping
from stoflow.marketplaces.vinted.rules import points_elsewhere
from stoflow.models.catalog import Brand, Category, CategoryMarketplaceId, Color, Condition, Size
from stoflow.models.products import Product

TITLE_MIN, TITLE_MAX = 5, 100
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 5000
PRICE_MIN, PRICE_MAX = Decimal("1.00"), Decimal("100000")
MAX_COLORS = 2


@dataclass(frozen=True)
class CatalogView:
    """What the converter needs of the shared catalogues for one product."""

    category_slug: str | None
    color_slugs: tuple[str, ...]
    size: tuple[str, str] | None  # (system, label)
    vinted_status_id: int | None
    brand_name: str | None
    # Vinted's catalog id: the product's override, or our category's (product_attributes mapping).
    catalog_id: int | None = None


@dataclass(frozen=True)
class PriceRule:
    """The seller's Vinted price: an explicit price, or ours with a markup, rounded."""

    price: Decimal | None = None
    markup_percent: Decimal = Decimal(0)
    rounding: str = "cents"  # cents | whole

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> PriceRule:
        try:
            price = Decimal(str(params["price"])) if params.get("price") is not None else None
            markup = Decimal(str(params.get("markup_percent", 0)))
        except (InvalidOperation, ValueError) as exc:
            raise PermanentJobError("price rule: not a number", code="invalid_price_rule") from exc
        rounding = params.get("rounding", "cents")
        if rounding not in ("cents", "whole") or not Decimal(-90) <= markup <= Decimal(500):
            raise PermanentJobError("price rule out of range", code="invalid_price_rule")
        return cls(price=price, markup_percent=markup, rounding=rounding)

    def apply(self, base: Decimal | None) -> Decimal:
        if self.price is not None:
            value = self.price
        elif base is not None:
            value = base * (1 + self.markup_percent / 100)
        else:
            raise PermanentJobError("the product has no price", code="vinted_missing_price")
        step = Decimal(1) if self.rounding == "whole" else Decimal("0.01")
        value = value.quantize(step, rounding=ROUND_HALF_UP)
        if not PRICE_MIN <= value <= PRICE_MAX:
            raise PermanentJobError(
                f"Vinted prices run from {PRICE_MIN} to {PRICE_MAX}", code="vinted_price_out_of_range"
            )
        return value


def _title(title: str) -> str:
    text = " ".join(title.split())
    if len(text) > TITLE_MAX:
        cut = text[:TITLE_MAX]
        text = cut.rsplit(" ", 1)[0] if " " in cut[TITLE_MAX // 2 :] else cut
    if len(text) < TITLE_MIN:
        raise PermanentJobError(f"Vinted titles need at least {TITLE_MIN} characters", code="vinted_title_too_short")
    return text


def _description(product: Product, title: str) -> str:
    text = (product.description or "").strip()
    if len(text) < DESCRIPTION_MIN:
        text = title
    return text[:DESCRIPTION_MAX]


def _department(category_slug: str) -> str:
    return category_slug.split("-", 1)[0]


def _package_size(weight_g: int | None) -> int:
    if weight_g is None or weight_g <= 1000:
        return mapping.PACKAGE_SMALL
    return mapping.PACKAGE_MEDIUM if weight_g <= 5000 else mapping.PACKAGE_LARGE


def _measure(measurements: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = measurements.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1000:
            return round(value)
    return None


def build_item(product: Product, view: CatalogView, rule: PriceRule | None = None) -> dict[str, Any]:
    """The `item` of vinted.publish / vinted.update, in the extension's schema (protocol.js ITEM)."""
    if view.category_slug is None or view.catalog_id is None:
        raise PermanentJobError(
            f"no Vinted category for {view.category_slug or 'a product without category'}",
            code="vinted_unmapped_category",
        )
    if view.vinted_status_id is None:
        raise PermanentJobError("the product's condition has no Vinted equivalent", code="vinted_unmapped_condition")
    title = _title(product.title)
    found = points_elsewhere(product.description or "") or points_elsewhere(title)
    if found:
        # Refused, never edited: the seller's text is theirs to change (Vinted hides such listings).
        raise PermanentJobError(
            f"Vinted hides listings that mention another marketplace or an outside link: remove {found!r}",
            code="vinted_description_points_elsewhere",
        )
    item: dict[str, Any] = {
        "title": title,
        "description": _description(product, title),
        "price": float((rule or PriceRule()).apply(product.price)),
        "currency": product.currency or "EUR",
        "catalog_id": view.catalog_id,
        "status_id": view.vinted_status_id,
        "brand_id": None,
        "brand": view.brand_name[:100] if view.brand_name else None,
        "size_id": None,
        "color_ids": [],
        "material_ids": [],
        "package_size_id": _package_size(product.parcel_weight_g),
        "is_unisex": False,
    }
    department = _department(view.category_slug)
    if view.size is not None:
        item["size_id"] = mapping.SIZES.get((view.size[0], view.size[1], department))
    colors = [mapping.COLORS[slug] for slug in view.color_slugs if slug in mapping.COLORS]
    item["color_ids"] = list(dict.fromkeys(colors))[:MAX_COLORS]
    measurements = product.measurements or {}
    length = _measure(measurements, "length")
    width = _measure(measurements, "chest", "width", "waist")
    if length is not None:
        item["measurement_length"] = length
    if width is not None:
        item["measurement_width"] = width
    return item


def catalog_view(session: Session, product: Product) -> CatalogView:
    category = session.get(Category, product.category_id) if product.category_id else None
    condition = session.get(Condition, product.condition_id) if product.condition_id else None
    brand = session.get(Brand, product.brand_id) if product.brand_id else None
    size = session.get(Size, product.size_id) if product.size_id else None
    color_slugs: tuple[str, ...] = ()
    if product.color_ids:
        by_id = dict(session.execute(select(Color.id, Color.slug).where(Color.id.in_(product.color_ids))).all())
        color_slugs = tuple(by_id[i] for i in product.color_ids if i in by_id)
    override = (product.marketplace_overrides or {}).get("vinted") or {}
    catalog_id = override.get("catalog_id")
    if catalog_id is None and category is not None:
        mapped = session.get(CategoryMarketplaceId, (category.id, "vinted", ""))
        catalog_id = mapped.external_id if mapped is not None else None
    return CatalogView(
        catalog_id=int(catalog_id) if catalog_id else None,
        category_slug=category.slug if category else None,
        color_slugs=color_slugs,
        size=(size.system, size.label) if size else None,
        vinted_status_id=condition.vinted_status_id if condition else None,
        brand_name=brand.name if brand else None,
    )


def live_product(session: Session, product_id: int | None) -> Product:
    product = session.get(Product, product_id) if product_id is not None else None
    if product is None or product.deleted_at is not None:
        raise PermanentJobError("the product no longer exists", code="product_not_found")
    return product


def item_for_product(session: Session, product_id: int | None, params: dict[str, Any]) -> dict[str, Any]:
    product = live_product(session, product_id)
    return build_item(product, catalog_view(session, product), PriceRule.from_params(params))


def photos_for_product(session: Session, product_id: int) -> list[dict[str, Any]]:
    """Presigned URLs of the photos to publish, in order; never a label (stoflow.domain.photos)."""
    from stoflow.domain.photos import photos_for_marketplace
    from stoflow.marketplaces.common.photos import photo_source

    source = photo_source()
    chosen = photos_for_marketplace(session, product_id, MARKETPLACE.photo_limit)
    photos = [{"url": source.url(image), "image_id": image.id} for image in chosen]
    if not photos:
        raise PermanentJobError("Vinted needs at least one photo (labels are never published)", code="vinted_no_photos")
    return photos
