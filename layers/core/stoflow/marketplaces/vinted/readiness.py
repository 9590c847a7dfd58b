"""Vinted readiness, from our tables only: a catalog id (the product's override or our mapping),
a condition, a size where the category has sizes, a colour, a title long enough, a description
that points nowhere else, a price and photos; and a paired browser extension."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stoflow.domain.readiness import WARNING, Issue, ProductFacts, category_missing, common_issues, not_connected
from stoflow.marketplaces.vinted import MARKETPLACE, mapping
from stoflow.marketplaces.vinted.connection import is_connected
from stoflow.marketplaces.vinted.rules import points_elsewhere

TITLE = MARKETPLACE.title
TITLE_MIN = 5
# Families whose Vinted catalogs ask for a size.
SIZED_FAMILIES = ("clothing", "shoes")


def catalog_for(facts: ProductFacts) -> int | None:
    chosen = facts.override("vinted", "catalog_id") or facts.mapping.get(("vinted", ""))
    return int(chosen) if chosen else None


def size_for(facts: ProductFacts) -> int | None:
    if facts.size is None or facts.category is None:
        return None
    return mapping.SIZES.get((facts.size[0], facts.size[1], facts.category.department))


def color_ids(facts: ProductFacts) -> list[int]:
    return list(dict.fromkeys(mapping.COLORS[slug] for slug, _ in facts.colors if slug in mapping.COLORS))


def product_issues(facts: ProductFacts) -> list[Issue]:
    issues = common_issues(facts, TITLE)
    category = facts.category
    if catalog_for(facts) is None:
        issues.append(
            category_missing(facts, TITLE, "vinted_category_missing", "marketplace_overrides.vinted.catalog_id")
        )
    if facts.vinted_status_id is None:
        issues.append(Issue("vinted_condition_missing", "condition_id", f"{TITLE} needs the item's condition."))
    if category is not None and category.family in SIZED_FAMILIES:
        if facts.size is None:
            issues.append(Issue("vinted_size_missing", "size_id", f"{TITLE} needs a size for {category.label}."))
        elif size_for(facts) is None:
            issues.append(
                Issue(
                    "vinted_size_unmapped",
                    "size_id",
                    f"{TITLE} has no size {facts.size[1]} ({facts.size[0]}) for {category.label}: choose another size.",
                )
            )
    if not color_ids(facts):
        issues.append(Issue("vinted_color_missing", "color_ids", f"{TITLE} needs at least one colour."))
    if len(" ".join(facts.title.split())) < TITLE_MIN:
        issues.append(
            Issue("vinted_title_too_short", "title", f"{TITLE} needs a title of at least {TITLE_MIN} characters.")
        )
    found = points_elsewhere(facts.description) or points_elsewhere(facts.title)
    if found:
        issues.append(
            Issue(
                "vinted_description_points_elsewhere",
                "description" if points_elsewhere(facts.description) else "title",
                f"{TITLE} hides listings that mention another marketplace or an outside link: remove '{found}'.",
            )
        )
    if facts.parcel_weight_g is None:
        issues.append(
            Issue(
                "vinted_parcel_weight_missing",
                "parcel_weight_g",
                f"No parcel weight: {TITLE}'s small package size is used.",
                WARNING,
            )
        )
    return issues


def check(session: Session, products: Sequence[ProductFacts], params: Mapping[str, Any]) -> dict[int, list[Issue]]:
    account = [] if is_connected(session) else [not_connected(TITLE)]
    return {facts.id: [*account, *product_issues(facts)] for facts in products}
