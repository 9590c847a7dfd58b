"""The one way a marketplace converter chooses a product's photos. It never returns a label.

611 internal price-label photos were once published to customers because the photo list could
not tell them apart. Every marketplace converter calls `photos_for_marketplace` (or
`choose_photos` on images they already hold) with its descriptor's photo limit; the label is
filtered here, in one place, twice: by the query and again in Python, so a caller passing its
own list cannot get one through.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from stoflow.models.images import ProductImage
from stoflow.repositories import images as repository


class PhotoLike(Protocol):
    @property
    def is_label(self) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def position(self) -> int | None: ...


P = TypeVar("P", bound=PhotoLike)


def choose_photos(images: Iterable[P], limit: int | None = None) -> list[P]:
    """Ready, non-label images in display order, at most `limit` (a marketplace's photo limit)."""
    chosen = sorted(
        (image for image in images if image.is_label is False and image.status == "ready"),
        key=lambda image: (image.position is None, image.position or 0),
    )
    return chosen if limit is None else chosen[:limit]


def photos_for_marketplace(session: Session, product_id: int, limit: int) -> list[ProductImage]:
    """The photos to publish for one product on a marketplace taking `limit` (tenant session)."""
    return choose_photos(repository.ready(session, product_id), limit)
