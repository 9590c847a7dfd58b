"""Queries on the tenant's products. Every read here sees live products only (deleted_at IS NULL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, or_, select, true, update
from sqlalchemy import insert as insert_
from sqlalchemy.orm import Session

from stoflow.models.images import ProductImage
from stoflow.models.jobs import MarketplaceListing
from stoflow.models.products import Product

LIVE = Product.deleted_at.is_(None)
SORTABLE = {
    "created_at": Product.created_at,
    "updated_at": Product.updated_at,
    "price": Product.price,
    "title": Product.title,
}


@dataclass(frozen=True)
class ProductFilters:
    statuses: Sequence[str] = ()
    brand_id: int | None = None
    category_ids: Sequence[int] = ()
    text: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    # Marketplace state: live on every one of `listed_on`, on none of `not_listed_on`.
    listed_on: Sequence[str] = ()
    not_listed_on: Sequence[str] = ()
    sort: Sequence[str] = field(default_factory=lambda: ("-created_at",))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: ProductFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [LIVE]
    if filters.statuses:
        where.append(Product.status.in_(list(filters.statuses)))
    if filters.brand_id is not None:
        where.append(Product.brand_id == filters.brand_id)
    if filters.category_ids:
        where.append(Product.category_id.in_(list(filters.category_ids)))
    if filters.text:
        pattern = f"%{_escape_like(filters.text)}%"
        where.append(or_(Product.title.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\")))
    if filters.price_min is not None:
        where.append(Product.price >= filters.price_min)
    if filters.price_max is not None:
        where.append(Product.price <= filters.price_max)
    if filters.listed_on or filters.not_listed_on:
        from stoflow.repositories import listings

        where.extend(listings.listed_on(m) for m in filters.listed_on)
        where.extend(listings.not_listed_on(m) for m in filters.not_listed_on)
    return where


def _order_by(sort: Sequence[str]) -> list[Any]:
    order: list[Any] = []
    for key in sort:
        column = SORTABLE[key.lstrip("-")]
        order.append(column.desc().nulls_last() if key.startswith("-") else column.asc().nulls_last())
    # The id breaks ties so that pages never overlap or skip a row.
    order.append(Product.id.desc() if sort and sort[-1].startswith("-") else Product.id.asc())
    return order


def page_query(filters: ProductFilters, limit: int, offset: int) -> Select[Any]:
    """One statement: the page and, with a window count, the total of matching rows; each row
    with what the products table shows beside the product (its first photo, its state on each
    marketplace), from correlated subqueries on indexed columns rather than a query per row.

    Plain columns, not ORM entities: a listing only reads, and skipping the identity map and
    instance state saves a measurable share of a warm GET /products."""
    # The first photo customers see (labels are never shown): (product_id, position) is indexed.
    thumbnail = (
        select(ProductImage.storage_key, ProductImage.url)
        .where(ProductImage.product_id == Product.id, ProductImage.status == "ready", ~ProductImage.is_label)
        .order_by(ProductImage.position)
        .limit(1)
        .lateral("thumbnail")
    )
    # {"ebay": "listed", "vinted": "sold"}: one row per (product, marketplace) by a unique index.
    listings = (
        select(func.jsonb_object_agg(MarketplaceListing.marketplace, MarketplaceListing.status))
        .where(MarketplaceListing.product_id == Product.id)
        .scalar_subquery()
    )
    return (
        select(
            *Product.__table__.columns,
            func.count().over().label("total"),
            thumbnail.c.storage_key.label("thumbnail_key"),
            thumbnail.c.url.label("thumbnail_location"),
            listings.label("listing_states"),
        )
        .outerjoin(thumbnail, true())
        .where(*_conditions(filters))
        .order_by(*_order_by(filters.sort))
        .limit(limit)
        .offset(offset)
    )


def page(session: Session, filters: ProductFilters, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """Rows with the product's columns as attributes (read-only), and the total."""
    rows = session.execute(page_query(filters, limit, offset)).all()
    if rows:
        return list(rows), int(rows[0].total)
    if offset == 0:
        return [], 0
    # Past the last page the window has no row to ride on: ask for the total alone.
    total = session.scalar(select(func.count()).select_from(Product).where(*_conditions(filters)))
    return [], int(total or 0)


def get_live(session: Session, product_id: int, *, lock: bool = False) -> Product | None:
    query = select(Product).where(Product.id == product_id, LIVE)
    if lock:
        # Serialises changes to one product (its images, positions, label) between requests.
        query = query.with_for_update()
    return session.scalars(query).first()


def live_by_ids(session: Session, ids: Sequence[int], *, lock: bool = False) -> list[Product]:
    query = select(Product).where(Product.id.in_(list(ids)), LIVE).order_by(Product.id)
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def count_live(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Product).where(LIVE)) or 0)


def insert(session: Session, values: dict[str, Any]) -> Product:
    """One statement: the row and its server defaults (version, timestamps) come back by RETURNING."""
    product = session.scalar(insert_(Product).values(**values).returning(Product))
    assert product is not None  # RETURNING of a successful INSERT has its row
    return product


def update_versioned(
    session: Session, product_id: int, expected_version: int | None, values: dict[str, Any]
) -> Product | None:
    """Apply `values` if the product is live (and at `expected_version` when given); bumps the
    version. One statement: the check and the write cannot be separated by another writer."""
    conditions = [Product.id == product_id, LIVE]
    if expected_version is not None:
        conditions.append(Product.version == expected_version)
    statement = (
        update(Product)
        .where(*conditions)
        .values(**values, version=Product.version + 1, updated_at=func.now())
        .returning(Product)
        # The product may already sit in the session (read for its checks): refresh it from RETURNING.
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.scalars(statement).first()


def version_of(session: Session, product_id: int) -> int | None:
    return session.scalar(select(Product.version).where(Product.id == product_id, LIVE))
