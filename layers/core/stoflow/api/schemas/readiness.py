"""What readiness says of a product on a marketplace, as the API shows it (GET
/products/{id}/readiness, ?include=readiness, and the products POST /jobs leaves out)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stoflow.api.schemas.model import ApiModel


class IssueOut(ApiModel):
    code: str = Field(description="stable, e.g. ebay_aspect_missing")
    field: str = Field(description="the product field (or account setting) to change")
    message: str
    severity: Literal["error", "warning"] = Field(description="errors block a listing, warnings do not")


class MarketplaceReadinessOut(ApiModel):
    marketplace: str
    ready: bool
    issues: list[IssueOut]


class ReadinessOut(ApiModel):
    product_id: int
    marketplaces: list[MarketplaceReadinessOut]
