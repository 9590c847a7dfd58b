"""The one way a marketplace converter chooses a product's photos. It never returns a label.

611 internal price-label photos were once published to customers because the photo list could
not tell them apart. Vinted, eBay and Etsy converters call `photos_for_marketplace` (or
`choose_photos` on images they already hold); the label is filtered here, in one place, twice:
by the query and again in Python, so a caller passing its own list cannot get one through.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from stoflow.models.images import ProductImage
from stoflow.repositories import images as repository

# How many photos each marketplace takes per listing.
PHOTO_LIMITS = {"vinted": 20, "ebay": 24, "etsy": 10}


class PhotoLike(Protocol):
    @property
    def is_label(self) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def position(self) -> int | None: ...


P = TypeVar("P", bound=PhotoLike)


def choose_photos(images: Iterable[P], marketplace: str | None = None) -> list[P]:
    """Ready, non-label images in display order, at most the marketplace's limit."""
    chosen = sorted(
        (image for image in images if image.is_label is False and image.status == "ready"),
        key=lambda image: (image.position is None, image.position or 0),
    )
    if marketplace is not None:
        if marketplace not in PHOTO_LIMITS:
            raise ValueError(f"unknown marketplace {marketplace!r}")
        chosen = chosen[: PHOTO_LIMITS[marketplace]]
    return chosen


def photos_for_marketplace(session: Session, product_id: int, marketplace: str) -> list[ProductImage]:
    """The photos to publish for one product on one marketplace (tenant session)."""
    return choose_photos(repository.ready(session, product_id), marketplace)
