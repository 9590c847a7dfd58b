"""The scheduled refresh of eBay's requirements per category (shared cache, product_attributes).

For each site: the category tree and its version (getDefaultCategoryTreeId); then, for each
category our mapping uses there, its aspects (getItemAspectsForCategory) and condition ids
(Metadata getItemConditionPolicies) when the cached copy is older than the maximum age or was
read from another tree version. A category the tree does not know is stored as such (readiness
reports it). Calls happen outside any transaction; each site's results are written in one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.marketplaces.ebay.taxonomy import EbayTaxonomy
from stoflow.repositories import readiness as repository

SessionFactory = Callable[[], AbstractContextManager[Session]]


def refresh(
    sessions: SessionFactory, *, now: datetime | None = None, client: EbayTaxonomy | None = None
) -> dict[str, Any]:
    """{site: {"tree_version", "fetched", "unknown"}} for every configured site."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    since = now - timedelta(seconds=settings.marketplace_requirements_max_age_s)
    taxonomy = client or EbayTaxonomy()
    report: dict[str, Any] = {}
    try:
        for site in settings.ebay_requirement_sites:
            tree_id, version = taxonomy.default_tree(site)
            with sessions() as session:
                wanted = repository.mapped_categories(session, "ebay", site)
                fresh = repository.fresh_categories(session, "ebay", tree_id, version, since)
            stale = [c for c in wanted if c not in fresh]
            aspects = {category: taxonomy.item_aspects(tree_id, category) for category in stale}
            known = [c for c, found in aspects.items() if found is not None]
            conditions = taxonomy.conditions(site, known) if known else {}
            with sessions() as session:
                for category, found in aspects.items():
                    repository.save_requirement(
                        session,
                        {
                            "marketplace": "ebay",
                            "tree_id": tree_id,
                            "category_id": category,
                            "tree_version": version,
                            "known": found is not None,
                            "aspects": found or [],
                            "conditions": conditions.get(category, []),
                            "fetched_at": now,
                        },
                    )
                repository.save_tree(
                    session,
                    {
                        "marketplace": "ebay",
                        "site": site,
                        "tree_id": tree_id,
                        "tree_version": version,
                        "checked_at": now,
                    },
                )
            report[site] = {
                "tree_version": version,
                "fetched": len(stale),
                "unknown": sorted(c for c, found in aspects.items() if found is None),
            }
    finally:
        if client is None:
            taxonomy.close()
    return report
