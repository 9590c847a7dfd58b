"""Bodies of the /products routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, WithJsonSchema

from stoflow.api.edge import Id, decimal_schema, int_of, money_bound, money_schema, text, text_of
from stoflow.api.schemas.images import ImageOut
from stoflow.api.schemas.listings import ListingOut, ListingStatus, Marketplace
from stoflow.api.schemas.model import ApiModel
from stoflow.api.schemas.readiness import MarketplaceReadinessOut
from stoflow.models.products import Product

# Numeric(12, 2): the document states the largest amount too, not only the digit count.
Money = Annotated[
    Decimal,
    Field(ge=0, le=money_bound(Product.price), max_digits=12, decimal_places=2),
    WithJsonSchema(money_schema(Product.price)),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
CatalogId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Status = Literal["draft", "published", "sold", "archived"]
Measure = Annotated[
    Decimal,
    Field(ge=0, le=10_000, max_digits=7, decimal_places=1),
    WithJsonSchema(decimal_schema(7, 1, Decimal(10_000))),
]


EbayCategoryId = Annotated[str, StringConstraints(pattern=r"^\d{1,16}$")]
# eBay's limits: aspect names up to 40 characters, values up to 65.
AspectName = text(40, min_length=1, strip=True)
AspectValue = text(65, min_length=1, strip=True)


class EbayOverrides(ApiModel):
    model_config = ConfigDict(extra="forbid")

    category_id: EbayCategoryId | None = None
    # Item specifics of the seller's own, e.g. {"Style": ["Skinny"]}; they win over ours.
    aspects: Annotated[
        dict[AspectName, Annotated[list[AspectValue], Field(min_length=1, max_length=30)]], Field(max_length=45)
    ] = {}


class EtsyOverrides(ApiModel):
    model_config = ConfigDict(extra="forbid")

    taxonomy_id: CatalogId | None = None


class VintedOverrides(ApiModel):
    model_config = ConfigDict(extra="forbid")

    catalog_id: CatalogId | None = None


class MarketplaceOverrides(ApiModel):
    """The seller's choices per marketplace over our category mapping and attributes."""

    model_config = ConfigDict(extra="forbid")

    ebay: EbayOverrides | None = None
    etsy: EtsyOverrides | None = None
    vinted: VintedOverrides | None = None


class _ProductFields(ApiModel):
    model_config = ConfigDict(extra="forbid")

    description: text(10_000) | None = None
    price: Money | None = None
    currency: Currency = "EUR"
    brand_id: CatalogId | None = None
    category_id: CatalogId | None = None
    size_id: CatalogId | None = None
    condition_id: CatalogId | None = None
    gender_id: CatalogId | None = None
    season_id: CatalogId | None = None
    pattern_id: CatalogId | None = None
    color_ids: Annotated[list[CatalogId], Field(max_length=5)] = []
    material_ids: Annotated[list[CatalogId], Field(max_length=10)] = []
    measurements: Annotated[dict[text(40), Measure], Field(max_length=20)] = {}
    parcel_weight_g: Annotated[int, Field(ge=1, le=100_000)] | None = None
    sku: text_of(Product.sku, min_length=1, strip=True) | None = None
    stock: Annotated[int, Field(ge=0, le=100_000)] = 1
    cost_price: Money | None = None
    internal_notes: text(10_000) | None = None
    year_made: (
        Annotated[int, Field(ge=1000, le=2100, description="the year (or a decade's first year) it was made")] | None
    ) = None
    # Not sent: not handmade, no overrides (the columns' defaults).
    handmade: bool = None  # type: ignore[assignment]
    size_type_id: CatalogId | None = None
    marketplace_overrides: MarketplaceOverrides = None  # type: ignore[assignment]


Title = text_of(Product.title, min_length=1, strip=True)


class ProductIn(_ProductFields):
    title: Title
    status: Literal["draft", "published"] = "draft"


class ProductPatch(_ProductFields):
    """Only the fields sent change. `version` is the one the client read (optimistic locking)."""

    version: int_of(Product.version, ge=1)
    # Optional but never null: a field sent is a field set (None only means "not sent"), and
    # the document says so (no null in these fields' schemas).
    title: Title = None  # type: ignore[assignment]
    status: Status = None  # type: ignore[assignment]
    currency: Currency = None  # type: ignore[assignment]
    stock: Annotated[int, Field(ge=0, le=100_000)] = None  # type: ignore[assignment]
    color_ids: Annotated[list[CatalogId], Field(max_length=5)] = None  # type: ignore[assignment]
    material_ids: Annotated[list[CatalogId], Field(max_length=10)] = None  # type: ignore[assignment]
    measurements: Annotated[dict[text(40), Measure], Field(max_length=20)] = None  # type: ignore[assignment]

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True, exclude={"version"})
        if "marketplace_overrides" in changes:
            changes["marketplace_overrides"] = self.marketplace_overrides.model_dump(exclude_none=True)
        if "measurements" in changes:
            changes["measurements"] = {k: float(v) for k, v in changes["measurements"].items()}
        return changes


class ProductOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    price: Decimal | None
    currency: str
    status: Status
    version: int
    brand_id: int | None
    category_id: int | None
    size_id: int | None
    condition_id: int | None
    gender_id: int | None
    season_id: int | None
    pattern_id: int | None
    color_ids: list[int]
    material_ids: list[int]
    measurements: dict[str, Any]
    parcel_weight_g: int | None
    sku: str | None
    stock: int
    cost_price: Decimal | None
    internal_notes: str | None
    year_made: int | None = None
    handmade: bool = False
    size_type_id: int | None = None
    marketplace_overrides: dict[str, Any] = {}
    published_at: datetime | None
    sold_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProductListItemOut(ProductOut):
    """A row of the products table: the product, its first photo and its state on each marketplace."""

    thumbnail_url: str | None = Field(description="The first photo customers see (never the label); null without one.")
    listings: dict[Marketplace, ListingStatus] = Field(
        description="The product's state on each marketplace it was ever sent to (as in GET /products/{id}/listings)."
    )


class ProductWithReadinessOut(ProductListItemOut):
    readiness: list[MarketplaceReadinessOut] | None = None


class ProductDetailOut(ProductOut):
    images: list[ImageOut]
    listings: list[ListingOut] = Field(description="Where the product is listed (as GET /products/{id}/listings).")
    catalog_names: dict[str, dict[str, str]] = Field(
        description="The names of the catalogue entries the product points to, by catalogue then id "
        '(e.g. {"brands": {"14": "Levi\'s"}}): categories by their path, sizes with their system.'
    )


class BulkStatusIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    status: Status


class BulkItemOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: Status
    version: int


class BulkFailureOut(ApiModel):
    id: int
    code: str
    detail: str | None = None


class BulkStatusOut(ApiModel):
    updated: list[BulkItemOut]
    failed: list[BulkFailureOut]


def product_values(body: ProductIn) -> dict[str, Any]:
    values = body.model_dump()
    values["handmade"] = bool(body.handmade)
    values["marketplace_overrides"] = (
        body.marketplace_overrides.model_dump(exclude_none=True) if body.marketplace_overrides else {}
    )
    values["measurements"] = {k: float(v) for k, v in values["measurements"].items()}
    return values
