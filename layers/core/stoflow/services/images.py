"""ProductImageService: a product's photos and its (at most one) internal price label.

Every operation locks the product row first (SELECT ... FOR UPDATE): two requests on one product's
images run one after the other, so positions stay 0..n-1, the 20-image limit holds, and the label
stays unique (the unique index is the last line of defence). An image is always reached through a
live product of the caller's tenant: another product's or tenant's image id finds nothing (404).

Uploads: `request_upload` creates a pending row and a presigned POST; the browser sends the file to
S3; `complete` reads it back, validates and processes it (stoflow.services.image_processing),
stores the result and makes the row ready. Objects are deleted from S3 only once the transaction
has committed, so a rolled-back request never leaves a row pointing at a deleted object.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.errors import (
    Conflict,
    ImageTooLarge,
    InvalidImage,
    InvalidInput,
    NotFound,
    StoflowError,
    TooManyImages,
)
from stoflow.models.images import ProductImage
from stoflow.models.products import Product
from stoflow.repositories import images as repository
from stoflow.repositories import products as products_repository
from stoflow.repositories.due_work import mark_due
from stoflow.storage.images import ImageStore, PresignedUpload, image_key, upload_key

if TYPE_CHECKING:
    from stoflow.services.image_processing import ProcessedImage

log = logging.getLogger(__name__)

MAX_TAGS = 20
MAX_TAG_LENGTH = 40


@dataclass(frozen=True)
class UploadTicket:
    image: ProductImage
    upload: PresignedUpload


class ProductImageService:
    def __init__(self, session: Session, tenant_id: int, store: ImageStore | None = None) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self._store = store
        self.settings = get_settings()

    @property
    def store(self) -> ImageStore:
        if self._store is None:
            self._store = ImageStore()
        return self._store

    # -- reads ---------------------------------------------------------------------------------

    def list_images(self, product_id: int) -> list[ProductImage]:
        self._product(product_id, lock=False)
        return repository.ready(self.session, product_id)

    def get_product_photos(self, product_id: int) -> list[ProductImage]:
        """The photos customers may see: every ready image except the label, in order."""
        return [image for image in self.list_images(product_id) if not image.is_label]

    def get_label_image(self, product_id: int) -> ProductImage | None:
        return next((image for image in self.list_images(product_id) if image.is_label), None)

    def url(self, image: ProductImage) -> str | None:
        return self.location(image.storage_key if image.status == "ready" else None, image.url)

    def location(self, storage_key: str | None, url: str | None) -> str | None:
        """Where a browser reads a ready image: our bucket's object, else the URL it came with."""
        return self.store.url(storage_key) if storage_key else url

    # -- uploads -------------------------------------------------------------------------------

    def request_upload(self, product_id: int, content_type: str, size: int | None = None) -> UploadTicket:
        self._product(product_id)
        from stoflow.services.image_processing import accepted_types

        if content_type not in accepted_types():
            accepted = ", ".join(accepted_types())
            raise InvalidImage(
                f"{content_type!r} is not accepted (accepted: {accepted})", code="image_type_unsupported"
            )
        if size is not None and size > self.settings.image_max_upload_bytes:
            raise ImageTooLarge(f"at most {self.settings.image_max_upload_bytes} bytes per image")
        self._purge_expired(product_id)
        if repository.count_slots(self.session, product_id, self._pending_since()) >= self._max_images:
            raise TooManyImages(f"a product holds at most {self._max_images} images")
        key = upload_key(self.tenant_id, product_id, 0, secrets.token_urlsafe(12))
        image = repository.add(
            self.session,
            {
                "product_id": product_id,
                "status": "pending",
                "storage_key": key,
                "mime_type": content_type,
            },
        )
        # Abandoned if still pending when its presigned POST expires: the purge schedule looks then.
        mark_due(self.session, "purge", datetime.now(UTC) + timedelta(seconds=self.settings.image_upload_ttl_s))
        upload = self.store.presign_upload(
            key, content_type, self.settings.image_max_upload_bytes, self.settings.image_upload_ttl_s
        )
        return UploadTicket(image, upload)

    def complete(self, product_id: int, image_id: int) -> ProductImage:
        self._product(product_id)
        image = repository.get(self.session, product_id, image_id, status=None)
        if image is None:
            raise NotFound(f"image {image_id} not found", code="image_not_found")
        if image.status == "ready":
            return image  # a retried `complete` (the first answer was lost) changes nothing
        upload = image.storage_key or ""
        if image.created_at < self._pending_since():
            raise self._refused(image, Conflict("this upload expired; ask for a new one", code="upload_expired"))
        size = self.store.size(upload)
        if size is None:
            raise Conflict("nothing was uploaded for this image yet", code="upload_missing")
        if size > self.settings.image_max_upload_bytes:
            too_large = ImageTooLarge(f"{size} bytes; at most {self.settings.image_max_upload_bytes} per image")
            raise self._refused(image, too_large)
        try:
            processed = self._process(self.store.read(upload))
            self._ensure_room(product_id)
        except (InvalidImage, TooManyImages) as exc:
            raise self._refused(image, exc) from exc
        final_key = image_key(self.tenant_id, product_id, image.id, secrets.token_urlsafe(8), processed.extension)
        self.store.put(final_key, processed.data, processed.mime_type)
        self._after_commit_delete([upload])
        self._after_rollback_delete([final_key])
        position = repository.next_position(self.session, product_id)
        image.status, image.storage_key, image.position = "ready", final_key, position
        image.mime_type, image.file_size = processed.mime_type, processed.size
        image.width, image.height = processed.width, processed.height
        self.session.flush()
        return image

    def add_image(
        self, product_id: int, data: bytes, *, alt_text: str | None = None, tags: Sequence[str] = ()
    ) -> ProductImage:
        """Add an image from bytes already at hand (imports, tests): the same validation as uploads."""
        self._product(product_id)
        if len(data) > self.settings.image_max_upload_bytes:
            raise ImageTooLarge(f"{len(data)} bytes; at most {self.settings.image_max_upload_bytes} per image")
        processed = self._process(data)
        if repository.count_slots(self.session, product_id, self._pending_since()) >= self._max_images:
            raise TooManyImages(f"a product holds at most {self._max_images} images")
        position = repository.next_position(self.session, product_id)
        key = image_key(self.tenant_id, product_id, 0, secrets.token_urlsafe(12), processed.extension)
        self.store.put(key, processed.data, processed.mime_type)
        self._after_rollback_delete([key])
        return repository.add(
            self.session,
            {
                "product_id": product_id,
                "status": "ready",
                "storage_key": key,
                "position": position,
                "mime_type": processed.mime_type,
                "file_size": processed.size,
                "width": processed.width,
                "height": processed.height,
                "alt_text": alt_text,
                "tags": _clean_tags(tags),
            },
        )

    # -- edits ---------------------------------------------------------------------------------

    def update_image(self, product_id: int, image_id: int, changes: dict[str, Any]) -> ProductImage:
        image = self._image(product_id, image_id)
        if "alt_text" in changes:
            image.alt_text = changes["alt_text"]
        if "tags" in changes:
            image.tags = _clean_tags(changes["tags"] or ())
        if changes.get("is_label") is not None:
            self._set_label(image, bool(changes["is_label"]))
        self.session.flush()
        return image

    def set_label_flag(self, product_id: int, image_id: int, is_label: bool) -> ProductImage:
        image = self._image(product_id, image_id)
        self._set_label(image, is_label)
        self.session.flush()
        return image

    def delete_image(self, product_id: int, image_id: int) -> None:
        image = self._image(product_id, image_id)
        key = image.storage_key
        repository.remove(self.session, image)
        remaining = repository.ready(self.session, product_id)
        repository.set_positions(self.session, product_id, [i.id for i in remaining])
        if key:
            self._after_commit_delete([key])

    def reorder(self, product_id: int, ordered_ids: Sequence[int]) -> list[ProductImage]:
        self._product(product_id)
        current = repository.ready(self.session, product_id)
        known = {image.id for image in current}
        if set(ordered_ids) - known:
            # Ids of another product or tenant: the same answer as for ids that do not exist.
            raise NotFound("image not found for this product", code="image_not_found")
        if len(ordered_ids) != len(set(ordered_ids)) or set(ordered_ids) != known:
            raise InvalidInput("give every image id of the product exactly once", code="order_mismatch")
        repository.set_positions(self.session, product_id, list(ordered_ids))
        self.session.expire_all()
        return repository.ready(self.session, product_id)

    # -- abandoned uploads ---------------------------------------------------------------------

    def cleanup_abandoned_uploads(self) -> int:
        """Pending uploads older than their presigned POST: rows deleted, objects deleted on commit."""
        expired = repository.expired_uploads(self.session, self._pending_since())
        repository.delete_ids(self.session, [image.id for image in expired])
        self._after_commit_delete([image.storage_key for image in expired if image.storage_key])
        return len(expired)

    def next_abandoned_at(self) -> datetime | None:
        """When the oldest upload still pending will count as abandoned (None: none pending)."""
        oldest = repository.oldest_pending_upload(self.session)
        return None if oldest is None else oldest + timedelta(seconds=self.settings.image_upload_ttl_s)

    # -- internals -----------------------------------------------------------------------------

    @property
    def _max_images(self) -> int:
        return self.settings.images_per_product_max

    def _pending_since(self) -> datetime:
        return datetime.now(UTC) - timedelta(seconds=self.settings.image_upload_ttl_s)

    def _product(self, product_id: int, *, lock: bool = True) -> Product:
        product = products_repository.get_live(self.session, product_id, lock=lock)
        if product is None:
            raise NotFound(f"product {product_id} not found", code="product_not_found")
        return product

    def _image(self, product_id: int, image_id: int) -> ProductImage:
        self._product(product_id)
        image = repository.get(self.session, product_id, image_id)
        if image is None:
            raise NotFound(f"image {image_id} not found", code="image_not_found")
        return image

    def _set_label(self, image: ProductImage, is_label: bool) -> None:
        if is_label and not image.is_label:
            repository.clear_label(self.session, image.product_id)
            self.session.flush()
        image.is_label = is_label

    def _process(self, data: bytes) -> ProcessedImage:
        # Imported here: Pillow is needed by complete/add only, not by every products request.
        from stoflow.services.image_processing import process

        return process(
            data,
            max_side=self.settings.image_max_side_px,
            max_pixels=self.settings.image_max_pixels,
            jpeg_quality=self.settings.image_jpeg_quality,
        )

    def _ensure_room(self, product_id: int) -> None:
        ready_count = len(repository.ready(self.session, product_id))
        if ready_count >= self._max_images:
            raise TooManyImages(f"a product holds at most {self._max_images} images")

    def _purge_expired(self, product_id: int) -> None:
        expired = repository.expired_uploads(self.session, self._pending_since(), product_id)
        repository.delete_ids(self.session, [image.id for image in expired])
        self._after_commit_delete([image.storage_key for image in expired if image.storage_key])

    def _refused(self, image: ProductImage, error: StoflowError) -> StoflowError:
        """A refused upload leaves nothing behind: its object goes now, its row with this
        transaction. The error is marked `upload_discarded`: the router answers it without
        raising, so the transaction commits the row's removal."""
        if image.storage_key:
            self.store.delete([image.storage_key])
        repository.remove(self.session, image)
        error.upload_discarded = True  # type: ignore[attr-defined]
        return error

    def _after_commit_delete(self, keys: list[str]) -> None:
        _outcomes(self.session, self.store)["commit"].extend(keys)

    def _after_rollback_delete(self, keys: list[str]) -> None:
        _outcomes(self.session, self.store)["rollback"].extend(keys)


def _outcomes(session: Session, store: ImageStore) -> dict[str, list[str]]:
    """Objects to delete when the session's transaction ends: some on commit, some on rollback."""
    outcomes: dict[str, list[str]] | None = session.info.get("stoflow_image_outcomes")
    if outcomes is None:
        outcomes = {"commit": [], "rollback": []}
        session.info["stoflow_image_outcomes"] = outcomes

        def settle(which: str) -> None:
            keys = list(outcomes[which])
            outcomes["commit"].clear()
            outcomes["rollback"].clear()
            if keys:
                try:
                    store.delete(keys)
                except Exception:  # the data is settled; a stray object is only storage
                    log.warning("could not delete %d image objects after %s", len(keys), which, exc_info=True)

        event.listen(session, "after_commit", lambda _s: settle("commit"))
        event.listen(session, "after_rollback", lambda _s: settle("rollback"))
    return outcomes


def _clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(tag.strip().lower() for tag in tags if tag and tag.strip()))
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise InvalidInput(f"at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters", code="invalid_tags")
    return cleaned


def cleanup_all_tenants(engine: Engine | None = None, tenant_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Abandoned uploads of every tenant (for a scheduled function): {tenant id: uploads removed}."""
    from stoflow.db.engine import get_engine
    from stoflow.db.tenancy import registered_tenants, tenant_session

    base = engine or get_engine()
    removed: dict[int, int] = {}
    for tenant_id in tenant_ids if tenant_ids is not None else registered_tenants(base):
        with tenant_session(tenant_id, engine=base) as session:
            count = ProductImageService(session, tenant_id).cleanup_abandoned_uploads()
        if count:
            removed[tenant_id] = count
    return removed
