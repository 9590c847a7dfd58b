"""Queries on the tenant's products. Every read here sees live products only (deleted_at IS NULL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, String, bindparam, func, or_, select, true, update
from sqlalchemy import insert as insert_
from sqlalchemy.orm import Session

from stoflow.models.images import ProductImage
from stoflow.models.listings import MarketplaceListing
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


@dataclass(frozen=True)
class _Shape:
    """Which filters a listing uses, not their values: one statement per shape, built once."""

    statuses: bool
    brand: bool
    categories: bool
    text: bool
    price_min: bool
    price_max: bool
    listed_on: tuple[str, ...]
    not_listed_on: tuple[str, ...]
    sort: tuple[str, ...]


def _shape(filters: ProductFilters) -> _Shape:
    return _Shape(
        statuses=bool(filters.statuses),
        brand=filters.brand_id is not None,
        categories=bool(filters.category_ids),
        text=bool(filters.text),
        price_min=filters.price_min is not None,
        price_max=filters.price_max is not None,
        listed_on=tuple(filters.listed_on),
        not_listed_on=tuple(filters.not_listed_on),
        sort=tuple(filters.sort),
    )


def _values(filters: ProductFilters) -> dict[str, Any]:
    """The filters' values, bound to the parameters of their shape's statement."""
    values: dict[str, Any] = {}
    if filters.statuses:
        values["statuses"] = list(filters.statuses)
    if filters.brand_id is not None:
        values["brand_id"] = filters.brand_id
    if filters.category_ids:
        values["category_ids"] = list(filters.category_ids)
    if filters.text:
        values["pattern"] = f"%{_escape_like(filters.text)}%"
    if filters.price_min is not None:
        values["price_min"] = filters.price_min
    if filters.price_max is not None:
        values["price_max"] = filters.price_max
    return values


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [LIVE]
    if shape.statuses:
        where.append(Product.status.in_(bindparam("statuses", expanding=True)))
    if shape.brand:
        where.append(Product.brand_id == bindparam("brand_id"))
    if shape.categories:
        where.append(Product.category_id.in_(bindparam("category_ids", expanding=True)))
    if shape.text:
        pattern = bindparam("pattern", type_=String)
        where.append(or_(Product.title.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\")))
    if shape.price_min:
        where.append(Product.price >= bindparam("price_min", type_=Product.price.type))
    if shape.price_max:
        where.append(Product.price <= bindparam("price_max", type_=Product.price.type))
    if shape.listed_on or shape.not_listed_on:
        from stoflow.repositories import listings

        where.extend(listings.listed_on(m) for m in shape.listed_on)
        where.extend(listings.not_listed_on(m) for m in shape.not_listed_on)
    return where


def _order_by(sort: Sequence[str]) -> list[Any]:
    order: list[Any] = []
    for key in sort:
        column = SORTABLE[key.lstrip("-")]
        order.append(column.desc().nulls_last() if key.startswith("-") else column.asc().nulls_last())
    # The id breaks ties so that pages never overlap or skip a row.
    order.append(Product.id.desc() if sort and sort[-1].startswith("-") else Product.id.asc())
    return order


# Building this statement cost more than a tenth of a warm GET /products; a seller's dashboard asks
# for a handful of shapes, each built once per container and bound to its values on each request.
@lru_cache(maxsize=256)
def _page_statement(shape: _Shape) -> Select[Any]:
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
        .where(*_conditions(shape))
        .order_by(*_order_by(shape.sort))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


@lru_cache(maxsize=256)
def _total_statement(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(Product).where(*_conditions(shape))


def page(session: Session, filters: ProductFilters, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """Rows with the product's columns as attributes (read-only), and the total."""
    shape, values = _shape(filters), _values(filters)
    # Plain rows on the session's connection: the ORM's execution path would only add cost.
    rows = session.connection().execute(_page_statement(shape), {**values, "limit": limit, "offset": offset}).all()
    if rows:
        return list(rows), int(rows[0].total)
    if offset == 0:
        return [], 0
    # Past the last page the window has no row to ride on: ask for the total alone.
    total = session.connection().scalar(_total_statement(shape), values)
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


_COUNT_LIVE = select(func.count()).select_from(Product).where(LIVE)


def count_live(session: Session) -> int:
    return int(session.connection().scalar(_COUNT_LIVE) or 0)


_PRODUCTS_TABLE = Product.__table__
# Built once: the columns given are bound as parameters (SQLAlchemy compiles, and caches, one
# INSERT per set of columns a creation names).
_INSERT = insert_(_PRODUCTS_TABLE).returning(*_PRODUCTS_TABLE.columns)


def insert(session: Session, values: dict[str, Any]) -> Row[Any]:
    """One statement: the row and its server defaults (version, timestamps) come back by RETURNING,
    as a plain row with the product's columns as attributes: nothing reads it through the ORM
    afterwards, and the ORM's insert path was a third of a warm POST /products."""
    return session.connection().execute(_INSERT, values).one()


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
