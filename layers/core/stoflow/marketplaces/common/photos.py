"""Where a chosen photo is reached from: a URL for marketplaces that fetch (eBay), bytes for
marketplaces that take uploads (Etsy). Which photos is decided by stoflow.domain.photos only
(it never returns a label)."""

from __future__ import annotations

from typing import Protocol

import httpx

from stoflow import runtime
from stoflow.models.images import ProductImage


class PhotoSource(Protocol):
    def url(self, image: ProductImage) -> str: ...

    def content(self, image: ProductImage) -> bytes: ...


class StoredPhotos:
    """Our images bucket for our own objects, the old URL for migrated legacy images."""

    def __init__(self) -> None:
        from stoflow.storage.images import ImageStore

        self.store = ImageStore()

    def url(self, image: ProductImage) -> str:
        if image.storage_key:
            return self.store.url(image.storage_key)
        assert image.url is not None
        return image.url

    def content(self, image: ProductImage) -> bytes:
        if image.storage_key:
            return self.store.read(image.storage_key)
        assert image.url is not None
        response = httpx.get(image.url, timeout=30.0, follow_redirects=True)
        response.raise_for_status()
        return response.content


PHOTOS: runtime.Part[PhotoSource] = runtime.Part("photo source", StoredPhotos)


def photo_source() -> PhotoSource:
    return runtime.get(PHOTOS)
