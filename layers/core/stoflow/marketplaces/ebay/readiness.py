"""eBay readiness: what a listing needs before any call, from our tables and the cached
requirements (Taxonomy aspects, Metadata condition ids), never from a live call.

- the category: the job's `category_id`, the product's override, our mapping for the account's
  site (EBAY_FR, ...), the account's default — in that order;
- the category's required aspects, their allowed values (selection-only aspects) and cardinality;
- a condition the category takes;
- price, photos, and a shipping location on the account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.domain.readiness import WARNING, Issue, ProductFacts, category_missing, common_issues, not_connected
from stoflow.marketplaces.ebay import MARKETPLACE
from stoflow.marketplaces.ebay.aspects import product_aspects
from stoflow.models.ebay_account import EbayCredentials
from stoflow.models.requirements import MarketplaceRequirement
from stoflow.repositories import marketplace_accounts as accounts
from stoflow.repositories import readiness as repository

TITLE = MARKETPLACE.title


def category_for(facts: ProductFacts, site: str, params: Mapping[str, Any], default: str | None) -> str | None:
    """The eBay category a listing of this product uses on `site`."""
    chosen = params.get("category_id") or facts.override("ebay", "category_id") or facts.mapping.get(("ebay", site))
    return str(chosen) if chosen else (default or None)


def _location_ready(row: EbayCredentials) -> bool:
    location = row.location or {}
    return bool(row.merchant_location_key) or bool(
        location.get("country") and (location.get("postalCode") or location.get("city"))
    )


def _aspect_issues(facts: ProductFacts, requirement: MarketplaceRequirement, language: str) -> list[Issue]:
    ours = {name.casefold(): values for name, values in product_aspects(facts, language).items()}
    where = facts.category.label if facts.category else "this category"
    issues: list[Issue] = []
    for aspect in requirement.aspects:
        name = str(aspect.get("name"))
        values = ours.get(name.casefold(), [])
        field = f"aspects.{name}"
        if not values:
            if aspect.get("required"):
                issues.append(Issue("ebay_aspect_missing", field, f"{TITLE} requires '{name}' for {where}."))
            elif aspect.get("usage") == "RECOMMENDED":
                issues.append(
                    Issue("ebay_aspect_recommended", field, f"{TITLE} recommends '{name}' for {where}.", WARNING)
                )
            continue
        if aspect.get("cardinality") == "SINGLE" and len(values) > 1:
            issues.append(
                Issue("ebay_aspect_too_many_values", field, f"{TITLE} takes one value of '{name}' for {where}.")
            )
        allowed = aspect.get("values") or []
        if aspect.get("mode") == "SELECTION_ONLY" and allowed:
            known = {str(v).casefold() for v in allowed}
            wrong = [v for v in values if v.casefold() not in known]
            if wrong:
                issues.append(
                    Issue(
                        "ebay_aspect_value_invalid",
                        field,
                        f"{TITLE} does not take '{wrong[0]}' as '{name}' for {where}"
                        f" (it takes: {', '.join(map(str, allowed[:8]))}{'…' if len(allowed) > 8 else ''}).",
                    )
                )
    return issues


def check(session: Session, products: Sequence[ProductFacts], params: Mapping[str, Any]) -> dict[int, list[Issue]]:
    """Issues per product id (an empty list: ready)."""
    settings = get_settings()
    row = accounts.get(session, EbayCredentials)
    connected = row is not None and row.status == "connected"
    site = row.marketplace_id if row is not None else settings.ebay_marketplace_id
    default = row.default_category_id if row is not None else None
    account: list[Issue] = []
    if not connected:
        account.append(not_connected(TITLE))
    elif row is not None and not _location_ready(row):
        account.append(
            Issue(
                "ebay_location_missing",
                "account.location",
                "Set your shipping address (country and postcode) for eBay.",
            )
        )
    categories = {p.id: category_for(p, site, params, default) for p in products}
    tree = repository.category_tree(session, "ebay", site)
    cached = (
        repository.requirements(session, "ebay", tree.tree_id, [c for c in categories.values() if c])
        if tree is not None
        else {}
    )
    result: dict[int, list[Issue]] = {}
    for facts in products:
        issues = [*account, *common_issues(facts, TITLE)]
        category = categories[facts.id]
        if category is None:
            issues.append(
                category_missing(
                    facts, f"{TITLE} ({site})", "ebay_category_missing", "marketplace_overrides.ebay.category_id"
                )
            )
        else:
            issues.extend(_category_issues(facts, category, cached.get(category), tree is not None, settings))
        if facts.ebay_condition_id is None:
            issues.append(Issue("ebay_condition_missing", "condition_id", f"{TITLE} needs the item's condition."))
        result[facts.id] = issues
    return result


def _category_issues(
    facts: ProductFacts, category: str, requirement: MarketplaceRequirement | None, has_tree: bool, settings: Any
) -> list[Issue]:
    if requirement is None or not has_tree:
        return [
            Issue(
                "ebay_requirements_unknown",
                "category_id",
                f"{TITLE}'s requirements for category {category} are not loaded yet: "
                "they are checked when it is listed.",
                WARNING,
            )
        ]
    if not requirement.known:
        return [
            Issue(
                "ebay_category_unknown",
                "marketplace_overrides.ebay.category_id",
                f"{TITLE} does not know category {category} on this site: choose another.",
            )
        ]
    issues = _aspect_issues(facts, requirement, settings.ebay_content_language)
    allowed = {str(c) for c in requirement.conditions}
    if allowed and facts.ebay_condition_id is not None and str(facts.ebay_condition_id) not in allowed:
        issues.append(
            Issue(
                "ebay_condition_not_allowed",
                "condition_id",
                f"{TITLE} does not take this condition for {facts.category.label if facts.category else category}.",
            )
        )
    return issues
