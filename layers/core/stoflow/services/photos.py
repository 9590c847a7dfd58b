"""The photos a marketplace takes, by marketplace name (stoflow.domain.photos with each
marketplace's photo limit from its descriptor). The rule itself, never a label, is in
stoflow.domain.photos."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from stoflow.domain import photos
from stoflow.domain.photos import P
from stoflow.marketplaces import registry
from stoflow.models.images import ProductImage

# How many photos each marketplace takes per listing.
PHOTO_LIMITS = {marketplace.name: marketplace.photo_limit for marketplace in registry.all_marketplaces()}


def _limit(marketplace: str | None) -> int | None:
    if marketplace is None:
        return None
    if marketplace not in PHOTO_LIMITS:
        raise ValueError(f"unknown marketplace {marketplace!r}")
    return PHOTO_LIMITS[marketplace]


def choose_photos(images: Iterable[P], marketplace: str | None = None) -> list[P]:
    """Ready, non-label images in display order, at most the marketplace's limit."""
    return photos.choose_photos(images, _limit(marketplace))


def photos_for_marketplace(session: Session, product_id: int, marketplace: str) -> list[ProductImage]:
    """The photos to publish for one product on one marketplace (tenant session)."""
    limit = _limit(marketplace)
    assert limit is not None
    return photos.photos_for_marketplace(session, product_id, limit)
