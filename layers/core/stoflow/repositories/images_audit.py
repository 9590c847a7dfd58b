"""What the audit of the legacy label guess needs: migrated images summed up per product."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Numeric, and_, cast, func, select
from sqlalchemy.orm import Session

from stoflow.models.images import ProductImage
from stoflow.models.products import Product


class MigratedProduct(NamedTuple):
    product_id: int
    images: int
    labels: int
    label_position: int | None
    newest_photo_at: object
    label_at: object
    order_disagrees: bool


def migrated_products(session: Session) -> list[MigratedProduct]:
    legacy = ProductImage.legacy_source
    numeric_order = func.jsonb_typeof(legacy["order"]) == "number"
    disagrees = and_(numeric_order, cast(legacy["order"].astext, Numeric) != ProductImage.position)
    query = (
        select(
            ProductImage.product_id,
            func.count(),
            func.count().filter(ProductImage.is_label),
            func.max(ProductImage.position).filter(ProductImage.is_label),
            func.max(ProductImage.created_at).filter(~ProductImage.is_label),
            func.max(ProductImage.created_at).filter(ProductImage.is_label),
            func.coalesce(func.bool_or(disagrees), False),
        )
        .join(Product, and_(Product.id == ProductImage.product_id, Product.deleted_at.is_(None)))
        .where(ProductImage.status == "ready", legacy.is_not(None))
        .group_by(ProductImage.product_id)
        .order_by(ProductImage.product_id)
    )
    return [MigratedProduct(*row) for row in session.execute(query)]
