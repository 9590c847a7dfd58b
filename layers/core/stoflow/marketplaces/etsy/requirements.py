"""The scheduled refresh of Etsy's requirements per taxonomy node (shared cache, product_attributes):
for each node our mapping uses, its properties (getPropertiesByTaxonomyId) when the cached copy is
older than the maximum age. Etsy's seller taxonomy carries no version: the tree is recorded as
`seller` at version `v3` (the API's), and a node Etsy does not know is stored as such (readiness
reports it, never a failed listing). Calls happen outside any transaction; the results are
written in one."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from stoflow.config import get_settings
from stoflow.marketplaces.etsy.taxonomy import EtsyTaxonomy
from stoflow.repositories import readiness as repository

SessionFactory = Callable[[], AbstractContextManager[Session]]
SITE = ""  # Etsy has one taxonomy for every shop
TREE_ID = "seller"
TREE_VERSION = "v3"


def refresh(
    sessions: SessionFactory, *, now: datetime | None = None, client: EtsyTaxonomy | None = None
) -> dict[str, Any]:
    """{"fetched", "unknown"} for the nodes our mapping uses."""
    now = now or datetime.now(UTC)
    since = now - timedelta(seconds=get_settings().marketplace_requirements_max_age_s)
    with sessions() as session:
        wanted = repository.mapped_categories(session, "etsy", SITE)
        fresh = repository.fresh_categories(session, "etsy", TREE_ID, TREE_VERSION, since)
    stale = [node for node in wanted if node not in fresh]
    taxonomy = client or EtsyTaxonomy()
    try:
        found = {node: taxonomy.properties(int(node)) for node in stale}
    finally:
        if client is None:
            taxonomy.close()  # records the calls made (no session is held here)
    with sessions() as session:
        for node, properties in found.items():
            repository.save_requirement(
                session,
                {
                    "marketplace": "etsy",
                    "tree_id": TREE_ID,
                    "category_id": node,
                    "tree_version": TREE_VERSION,
                    "known": properties is not None,
                    "aspects": properties or [],
                    "conditions": [],
                    "fetched_at": now,
                },
            )
        repository.save_tree(
            session,
            {"marketplace": "etsy", "site": SITE, "tree_id": TREE_ID, "tree_version": TREE_VERSION, "checked_at": now},
        )
    return {"fetched": len(stale), "unknown": sorted(node for node, p in found.items() if p is None)}
