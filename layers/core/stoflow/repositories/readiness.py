"""The reads readiness needs, a few statements for any number of products: the products' own
columns with how many photos each could publish and its brand, and the shared catalogues with the
category mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Row, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from stoflow.models.catalog import (
    Brand,
    Category,
    CategoryMarketplaceId,
    Color,
    Condition,
    Gender,
    Material,
    Pattern,
    Size,
    SizeType,
)
from stoflow.models.images import ProductImage
from stoflow.models.products import Product
from stoflow.models.requirements import MarketplaceCategoryTree, MarketplaceRequirement

PRODUCT_COLUMNS = (
    Product.id,
    Product.title,
    Product.description,
    Product.price,
    Product.currency,
    Product.status,
    Product.stock,
    Product.brand_id,
    Product.category_id,
    Product.size_id,
    Product.size_type_id,
    Product.condition_id,
    Product.gender_id,
    Product.pattern_id,
    Product.color_ids,
    Product.material_ids,
    Product.parcel_weight_g,
    Product.year_made,
    Product.handmade,
    Product.marketplace_overrides,
)


def _ids() -> Any:
    """`= ANY(:ids)`: one parameter however many ids (an IN list of 500 parameters costs more to
    build, send and parse than the rows it fetches). Bound on each call: the statements below are
    built once per container and run on the session's connection (plain rows: the ORM's
    execution path would only add cost)."""
    return any_(bindparam("ids", type_=ARRAY(BigInteger)))


# One statement for any number of products: their columns, the photos each could publish (ready,
# not a label: what a listing may show) and their brand's name. Three statements before; each
# is a round trip on every POST /jobs.
_PUBLISHABLE_PHOTOS = (
    select(func.count())
    .where(ProductImage.product_id == Product.id, ProductImage.status == "ready", ProductImage.is_label.is_(False))
    .correlate(Product)
    .scalar_subquery()
)
_PRODUCTS = (
    select(*PRODUCT_COLUMNS, _PUBLISHABLE_PHOTOS.label("photos"), Brand.name.label("brand_name"))
    .outerjoin(Brand, Brand.id == Product.brand_id)
    .where(Product.id == _ids(), Product.deleted_at.is_(None))
)


def products(session: Session, ids: Sequence[int]) -> list[Row[Any]]:
    """Live products among `ids` (tenant session): the columns readiness reads, `photos` and
    `brand_name`."""
    return list(session.connection().execute(_PRODUCTS, {"ids": list(ids)}))


def names(session: Session, model: Any) -> dict[int, str]:
    return dict(session.execute(select(model.id, model.name)).all())


def catalog_rows(session: Session) -> dict[str, Any]:
    """Every small catalogue readiness reads (they change only by migration)."""
    return {
        "categories": list(session.execute(select(Category.id, Category.parent_id, Category.slug, Category.name))),
        "colors": list(session.execute(select(Color.id, Color.slug, Color.name))),
        "conditions": list(
            session.execute(
                select(Condition.id, Condition.slug, Condition.vinted_status_id, Condition.ebay_condition_id)
            )
        ),
        "sizes": list(session.execute(select(Size.id, Size.system, Size.label))),
        "size_types": names(session, SizeType),
        "materials": names(session, Material),
        "genders": list(session.execute(select(Gender.id, Gender.slug, Gender.name))),
        "patterns": names(session, Pattern),
        "mapping": list(
            session.execute(
                select(
                    CategoryMarketplaceId.category_id,
                    CategoryMarketplaceId.marketplace,
                    CategoryMarketplaceId.site,
                    CategoryMarketplaceId.external_id,
                    CategoryMarketplaceId.note,
                )
            )
        ),
    }


_TREE = select(
    MarketplaceCategoryTree.tree_id, MarketplaceCategoryTree.tree_version, MarketplaceCategoryTree.checked_at
).where(
    MarketplaceCategoryTree.marketplace == bindparam("marketplace"), MarketplaceCategoryTree.site == bindparam("site")
)


def category_tree(session: Session, marketplace: str, site: str) -> Row[Any] | None:
    """The category tree read last for `site` (tree_id, tree_version, checked_at), if any."""
    return session.connection().execute(_TREE, {"marketplace": marketplace, "site": site}).first()


def requirements(
    session: Session, marketplace: str, tree_id: str, category_ids: Sequence[str]
) -> dict[str, MarketplaceRequirement]:
    if not category_ids:
        return {}
    query = select(MarketplaceRequirement).where(
        MarketplaceRequirement.marketplace == marketplace,
        MarketplaceRequirement.tree_id == tree_id,
        MarketplaceRequirement.category_id.in_(sorted(set(category_ids))),
    )
    return {row.category_id: row for row in session.scalars(query)}


# --- the requirements cache, written by the scheduled refresh (shared session) ------------------


def mapped_categories(session: Session, marketplace: str, site: str) -> list[str]:
    """The marketplace's category ids our mapping uses on `site`."""
    query = (
        select(CategoryMarketplaceId.external_id)
        .where(
            CategoryMarketplaceId.marketplace == marketplace,
            CategoryMarketplaceId.site == site,
            CategoryMarketplaceId.external_id.is_not(None),
        )
        .distinct()
    )
    return sorted(str(c) for c in session.scalars(query))


def fresh_categories(session: Session, marketplace: str, tree_id: str, tree_version: str, since: Any) -> set[str]:
    """Categories cached from this tree version and fetched after `since`."""
    query = select(MarketplaceRequirement.category_id).where(
        MarketplaceRequirement.marketplace == marketplace,
        MarketplaceRequirement.tree_id == tree_id,
        MarketplaceRequirement.tree_version == tree_version,
        MarketplaceRequirement.fetched_at >= since,
    )
    return set(session.scalars(query))


def save_tree(session: Session, values: dict[str, Any]) -> None:
    session.merge(MarketplaceCategoryTree(**values))


def save_requirement(session: Session, values: dict[str, Any]) -> None:
    session.merge(MarketplaceRequirement(**values))
