"""Etsy readiness, from our tables only: the item is one Etsy allows (handmade, or vintage of
20 years or more, with `when_made` from the year it was made), its category has an Etsy
taxonomy node (the job's, the product's override, our mapping, the shop's default), the shop
has a shipping profile, and the product has a price and photos. With the node's properties cached
(stoflow.marketplaces.etsy.requirements), a node Etsy does not know is refused, and a property
Etsy requires is named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from stoflow.domain.readiness import WARNING, Issue, ProductFacts, category_missing, common_issues, not_connected
from stoflow.marketplaces.etsy import MARKETPLACE
from stoflow.marketplaces.etsy.rules import VINTAGE_YEARS, is_vintage, when_made
from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts
from stoflow.repositories import readiness as requirements_cache

TITLE = MARKETPLACE.title


def taxonomy_for(facts: ProductFacts, params: Mapping[str, Any], default: int | None) -> int | None:
    """The Etsy taxonomy node a listing of this product uses (None: none, or not on Etsy)."""
    chosen = params.get("taxonomy_id") or facts.override("etsy", "taxonomy_id")
    if chosen:
        return int(chosen)
    if ("etsy", "") in facts.mapping:
        mapped = facts.mapping[("etsy", "")]
        return int(mapped) if mapped else None
    return default


def allowed_issues(facts: ProductFacts, this_year: int) -> list[Issue]:
    """Etsy takes handmade items and vintage ones (20 years or more); when_made needs the year."""
    if facts.year_made is None:
        return [
            Issue(
                "etsy_year_made_missing",
                "year_made",
                f"{TITLE} takes only handmade or vintage items (20 years or older): "
                "give the year (or decade) this item was made.",
            )
        ]
    if when_made(facts.year_made) is None:
        return [Issue("etsy_year_made_unsupported", "year_made", f"{TITLE} has no period for {facts.year_made} yet.")]
    if facts.handmade or is_vintage(facts, this_year):
        return []
    return [
        Issue(
            "etsy_not_allowed",
            "year_made",
            f"{TITLE} takes only handmade or vintage items: made in {facts.year_made}, "
            f"this item is not {VINTAGE_YEARS} years old yet.",
        )
    ]


def check(
    session: Session, products: Sequence[ProductFacts], params: Mapping[str, Any], *, today: datetime | None = None
) -> dict[int, list[Issue]]:
    row = accounts.get(session, EtsyCredentials)
    account: list[Issue] = []
    if row is None or row.status != "connected":
        account.append(not_connected(TITLE))
    elif row.shipping_profile_id is None:
        account.append(
            Issue("etsy_shipping_profile_missing", "account.shipping_profile_id", "Choose an Etsy shipping profile.")
        )
    default = row.default_taxonomy_id if row is not None else None
    this_year = (today or datetime.now(UTC)).year
    nodes = {facts.id: taxonomy_for(facts, params, default) for facts in products}
    cached = _cached_nodes(session, [n for n in nodes.values() if n is not None])
    result: dict[int, list[Issue]] = {}
    for facts in products:
        issues = [*account, *common_issues(facts, TITLE), *allowed_issues(facts, this_year)]
        node = nodes[facts.id]
        if node is not None and str(node) in cached:
            issues.extend(node_issues(node, cached[str(node)]))
        if node is None:
            note = facts.mapping_notes.get(("etsy", ""))
            if note and facts.category is not None:
                issues.append(Issue("etsy_category_not_allowed", "category_id", f"'{facts.category.label}' is {note}."))
            else:
                issues.append(
                    category_missing(facts, TITLE, "etsy_taxonomy_missing", "marketplace_overrides.etsy.taxonomy_id")
                )
        result[facts.id] = issues
    return result


def _cached_nodes(session: Session, nodes: Sequence[int]) -> dict[str, Any]:
    """The cached requirements of these taxonomy nodes (none cached yet: nothing to say)."""
    from stoflow.marketplaces.etsy.requirements import SITE

    tree = requirements_cache.category_tree(session, "etsy", SITE)
    if tree is None or not nodes:
        return {}
    return requirements_cache.requirements(session, "etsy", tree.tree_id, [str(n) for n in nodes])


def node_issues(node: int, requirement: Any) -> list[Issue]:
    """What Etsy's own data says of the node a listing would use."""
    field = "marketplace_overrides.etsy.taxonomy_id"
    if not requirement.known:
        return [Issue("etsy_taxonomy_unknown", field, f"{TITLE} has no category {node}: choose another one.")]
    return [
        Issue(
            "etsy_property_required",
            f"etsy_properties.{prop['name']}",
            f"{TITLE} asks for '{prop['name']}' in this category; StoFlow does not send it yet: add it on Etsy.",
            WARNING,
        )
        for prop in requirement.aspects or []
        if prop.get("required")
    ]
