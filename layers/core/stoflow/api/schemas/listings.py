"""Bodies of the where-is-it-listed routes (/products/{id}/listings, /products/{id}/history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from stoflow.api.schemas.model import ApiModel
from stoflow.marketplaces.registry import NAMES

__all__ = ["HistoryEntryOut", "ListingOut", "ListingStatus", "ListingsOut", "Marketplace", "listing_out"]

# The registry's marketplaces, as an enum in the OpenAPI document.
Marketplace = Literal[NAMES]  # type: ignore[valid-type]
ListingStatus = Literal["listed", "delisted", "sold", "error"]


class ListingOut(ApiModel):
    """The product's state on one marketplace, as StoFlow's jobs last left it."""

    model_config = ConfigDict(from_attributes=True)

    marketplace: Marketplace
    status: ListingStatus = Field(
        description="`listed`: live on the marketplace; `delisted`: withdrawn (may be relisted); "
        "`sold`: sold there; `error`: the last publish or update failed (see `last_error`)."
    )
    external_id: str | None = Field(description="The listing's id on the marketplace, once it has one.")
    url: str | None = Field(description="The public page of the listing, when the marketplace gives one.")
    last_synced_at: datetime = Field(description="When StoFlow last changed or confirmed this state.")
    last_error: str | None = Field(description="Why the last job on this listing failed; null after a success.")
    last_job_id: int | None = Field(description="The job that last touched this listing (see GET /jobs/{job_id}).")
    last_job_action: str | None
    last_job_status: str | None
    last_job_finished_at: datetime | None


def listing_out(row: Any) -> ListingOut:
    """A listing row (stoflow.repositories.listings.listings_of) as the API shows it."""
    return ListingOut.model_validate({**row._mapping, "last_synced_at": row.updated_at})


class ListingsOut(ApiModel):
    product_id: int
    items: list[ListingOut] = Field(
        description="One entry per marketplace the product was ever sent to; a marketplace absent "
        "from the list never received it."
    )


class HistoryEntryOut(ApiModel):
    """One publish, update or delist attempt that reached an outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    marketplace: Marketplace
    action: str = Field(description="What was asked, e.g. `publish`, `update`, `delete`.")
    outcome: str = Field(description="How it ended, e.g. `success` or `failed`.")
    external_id: str | None
    error_code: str | None
    job_id: int | None
    details: dict[str, Any]
    created_at: datetime
