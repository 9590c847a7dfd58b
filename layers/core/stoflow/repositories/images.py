"""Queries on product_images. Every function takes the product id: an image is only ever reached
through its product, so another product's (or tenant's) image id simply finds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from stoflow.models.images import ProductImage

READY = ProductImage.status == "ready"


def ready(session: Session, product_id: int) -> list[ProductImage]:
    return list(
        session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id == product_id, READY)
            .order_by(ProductImage.position, ProductImage.id)
        )
    )


def ready_for_products(session: Session, product_ids: Sequence[int]) -> list[ProductImage]:
    return list(
        session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id.in_(list(product_ids)), READY)
            .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
        )
    )


def get(session: Session, product_id: int, image_id: int, *, status: str | None = "ready") -> ProductImage | None:
    query = select(ProductImage).where(ProductImage.id == image_id, ProductImage.product_id == product_id)
    if status is not None:
        query = query.where(ProductImage.status == status)
    return session.scalars(query).first()


def count_slots(session: Session, product_id: int, pending_since: datetime) -> int:
    """Images held by the product: ready ones plus uploads still in flight."""
    held = (ProductImage.status == "ready") | (ProductImage.created_at >= pending_since)
    return int(
        session.scalar(
            select(func.count()).select_from(ProductImage).where(ProductImage.product_id == product_id, held)
        )
        or 0
    )


def next_position(session: Session, product_id: int) -> int:
    last = func.max(ProductImage.position)
    return int(session.scalar(select(func.coalesce(last + 1, 0)).where(ProductImage.product_id == product_id, READY)))


def add(session: Session, values: dict[str, Any]) -> ProductImage:
    image = ProductImage(**values)
    session.add(image)
    session.flush()
    session.refresh(image)
    return image


def remove(session: Session, image: ProductImage) -> None:
    session.delete(image)
    session.flush()


def set_positions(session: Session, product_id: int, ordered_ids: Sequence[int]) -> None:
    """positions 0..n-1 in the given order, in one UPDATE."""
    if not ordered_ids:
        return
    position = case({image_id: index for index, image_id in enumerate(ordered_ids)}, value=ProductImage.id)
    session.execute(
        update(ProductImage)
        .where(ProductImage.product_id == product_id, ProductImage.id.in_(list(ordered_ids)))
        .values(position=position, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )


def clear_label(session: Session, product_id: int) -> None:
    session.execute(
        update(ProductImage)
        .where(ProductImage.product_id == product_id, ProductImage.is_label)
        .values(is_label=False, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )


def expired_uploads(session: Session, before: datetime, product_id: int | None = None) -> list[ProductImage]:
    query = select(ProductImage).where(ProductImage.status == "pending", ProductImage.created_at < before)
    if product_id is not None:
        query = query.where(ProductImage.product_id == product_id)
    return list(session.scalars(query))


def oldest_pending_upload(session: Session) -> datetime | None:
    """When the oldest upload still pending was handed its presigned POST."""
    return session.scalar(select(func.min(ProductImage.created_at)).where(ProductImage.status == "pending"))


def delete_ids(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(
            delete(ProductImage).where(ProductImage.id.in_(list(ids))).execution_options(synchronize_session=False)
        )
