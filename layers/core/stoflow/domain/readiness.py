"""Readiness: can this product be listed on that marketplace, and if not, what is missing.

The vocabulary shared by every marketplace's rules (stoflow.marketplaces.<name>.readiness) and by
the service that runs them: an `Issue` (a stable code, the field, a sentence a reseller
understands; errors block, warnings do not), the `ProductFacts` the rules read (a product with its
catalogue references resolved, loaded for many products in a few statements), and the rules every
marketplace shares. Nothing here calls a marketplace: readiness is computed from our tables and
the requirements cached in them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.repositories import readiness as repository

ERROR, WARNING = "error", "warning"


@dataclass(slots=True)
class Issue:
    code: str
    field: str
    message: str
    severity: str = ERROR

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class Verdict:
    """One product on one marketplace: ready when no issue is an error."""

    marketplace: str
    product_id: int
    issues: tuple[Issue, ...]

    @property
    def ready(self) -> bool:
        return not any(issue.severity == ERROR for issue in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    def as_dict(self) -> dict[str, Any]:
        return {
            "marketplace": self.marketplace,
            "ready": self.ready,
            "issues": [issue.as_dict() for issue in self.issues],
        }


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    slug: str
    name: str
    # "Women's Jeans": the department and the node, as a reseller names the category.
    label: str
    department: str  # women | men | kids
    family: str  # clothing | shoes | accessories
    leaf: bool


@dataclass(slots=True)
class ProductFacts:
    """What the rules read of one product; catalogue ids are resolved to what they name."""

    id: int
    title: str
    description: str
    price: Decimal | None
    currency: str
    status: str
    stock: int
    photos: int
    brand: str | None
    category: CategoryInfo | None
    # (marketplace, site) -> external id, or None where the category is not listed there.
    mapping: Mapping[tuple[str, str], str | None]
    mapping_notes: Mapping[tuple[str, str], str]
    size: tuple[str, str] | None  # (system, label)
    size_type: str | None
    condition_slug: str | None
    vinted_status_id: int | None
    ebay_condition_id: int | None
    gender: str | None
    gender_slug: str | None
    colors: tuple[tuple[str, str], ...]  # (slug, name)
    materials: tuple[str, ...]
    pattern: str | None
    parcel_weight_g: int | None
    year_made: int | None
    handmade: bool
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def override(self, marketplace: str, key: str) -> Any:
        value = (self.overrides.get(marketplace) or {}).get(key)
        return value if value not in (None, "", [], {}) else None


@dataclass(frozen=True)
class CatalogSnapshot:
    categories: dict[int, CategoryInfo]
    mapping: dict[int, dict[tuple[str, str], str | None]]
    notes: dict[int, dict[tuple[str, str], str]]
    colors: dict[int, tuple[str, str]]
    conditions: dict[int, tuple[str, int | None, int | None]]
    sizes: dict[int, tuple[str, str]]
    size_types: dict[int, str]
    materials: dict[int, str]
    genders: dict[int, tuple[str, str]]
    patterns: dict[int, str]


_OWN = {"women": "Women's", "men": "Men's", "kids": "Kids'"}
# This container's catalogue snapshot, with when it was built.
SNAPSHOT: runtime.Part[list[tuple[float, CatalogSnapshot]]] = runtime.Part("readiness catalogue snapshot", list)


def _build_snapshot(rows: dict[str, Any]) -> CatalogSnapshot:
    parents = {row.id: row.parent_id for row in rows["categories"]}
    has_children = {row.parent_id for row in rows["categories"] if row.parent_id is not None}
    by_id = {row.id: row for row in rows["categories"]}
    categories: dict[int, CategoryInfo] = {}
    for row in rows["categories"]:
        chain = [row.id]
        while parents.get(chain[-1]) is not None:
            chain.append(parents[chain[-1]])
        root = by_id[chain[-1]]
        family = by_id[chain[-2]] if len(chain) >= 2 else None
        department = root.slug
        family_slug = family.slug.split("-", 1)[-1] if family is not None else ""
        label = f"{_OWN.get(department, root.name)} {row.name}" if row.id != root.id else row.name
        categories[row.id] = CategoryInfo(
            row.id, row.slug, row.name, label, department, family_slug, row.id not in has_children
        )
    mapping: dict[int, dict[tuple[str, str], str | None]] = {}
    notes: dict[int, dict[tuple[str, str], str]] = {}
    for row in rows["mapping"]:
        mapping.setdefault(row.category_id, {})[(row.marketplace, row.site)] = row.external_id
        if row.note:
            notes.setdefault(row.category_id, {})[(row.marketplace, row.site)] = row.note
    return CatalogSnapshot(
        categories=categories,
        mapping=mapping,
        notes=notes,
        colors={row.id: (row.slug, row.name) for row in rows["colors"]},
        conditions={row.id: (row.slug, row.vinted_status_id, row.ebay_condition_id) for row in rows["conditions"]},
        sizes={row.id: (row.system, row.label) for row in rows["sizes"]},
        size_types=rows["size_types"],
        materials=rows["materials"],
        genders={row.id: (row.slug, row.name) for row in rows["genders"]},
        patterns=rows["patterns"],
    )


def catalog_snapshot(session: Session) -> CatalogSnapshot:
    """The catalogues and the category mapping, kept by the container as long as the catalogue
    cache (they change only by migration), read through the caller's session."""
    held = runtime.get(SNAPSHOT)
    if held and time.monotonic() - held[-1][0] < get_settings().catalog_cache_max_age_s:
        return held[-1][1]
    snapshot = _build_snapshot(repository.catalog_rows(session))
    held[:] = [(time.monotonic(), snapshot)]
    return snapshot


def load_facts(session: Session, product_ids: Sequence[int]) -> dict[int, ProductFacts]:
    """ProductFacts of the live products among `product_ids` (tenant session), in one statement
    whatever their number, once the container holds the catalogues."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    catalog = catalog_snapshot(session)
    rows = repository.products(session, ids)
    facts: dict[int, ProductFacts] = {}
    for row in rows:
        category = catalog.categories.get(row.category_id) if row.category_id else None
        condition = catalog.conditions.get(row.condition_id) if row.condition_id else None
        gender = catalog.genders.get(row.gender_id) if row.gender_id else None
        facts[row.id] = ProductFacts(
            id=row.id,
            title=row.title or "",
            description=row.description or "",
            price=row.price,
            currency=row.currency,
            status=row.status,
            stock=row.stock,
            photos=int(row.photos),
            brand=row.brand_name,
            category=category,
            mapping=catalog.mapping.get(row.category_id, {}) if row.category_id else {},
            mapping_notes=catalog.notes.get(row.category_id, {}) if row.category_id else {},
            size=catalog.sizes.get(row.size_id) if row.size_id else None,
            size_type=catalog.size_types.get(row.size_type_id) if row.size_type_id else None,
            condition_slug=condition[0] if condition else None,
            vinted_status_id=condition[1] if condition else None,
            ebay_condition_id=condition[2] if condition else None,
            gender=gender[1] if gender else None,
            gender_slug=gender[0] if gender else None,
            colors=tuple(catalog.colors[i] for i in row.color_ids or () if i in catalog.colors),
            materials=tuple(catalog.materials[i] for i in row.material_ids or () if i in catalog.materials),
            pattern=catalog.patterns.get(row.pattern_id) if row.pattern_id else None,
            parcel_weight_g=row.parcel_weight_g,
            year_made=row.year_made,
            handmade=bool(row.handmade),
            overrides=dict(row.marketplace_overrides or {}),
        )
    return facts


# --- rules every marketplace applies (each says it in its own name) ----------------------------


def common_issues(facts: ProductFacts, title: str) -> list[Issue]:
    """Sold, priced, photographed: what no marketplace lists without (the category is each
    marketplace's own: see `category_missing`)."""
    issues: list[Issue] = []
    if facts.status == "sold":
        issues.append(Issue("product_sold", "status", f"A sold item cannot be listed on {title}."))
    if facts.price is None or facts.price <= 0:
        issues.append(Issue("price_missing", "price", f"{title} needs a price."))
    if facts.photos == 0:
        issues.append(Issue("photos_missing", "images", f"{title} needs at least one photo (labels do not count)."))
    return issues


def category_missing(facts: ProductFacts, title: str, code: str, field: str) -> Issue:
    """The marketplace has no category for this product: say why in the reseller's terms."""
    if facts.category is None:
        return Issue(code, "category_id", f"Choose a category: {title} needs one.")
    if not facts.category.leaf:
        return Issue(
            code, "category_id", f"'{facts.category.label}' is a group: choose one of its categories for {title}."
        )
    return Issue(code, field, f"'{facts.category.label}' has no {title} category: choose one.")


def not_connected(title: str) -> Issue:
    return Issue("marketplace_not_connected", "marketplace", f"Connect your {title} account first.")
