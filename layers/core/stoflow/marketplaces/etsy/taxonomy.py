"""Etsy's seller taxonomy as readiness needs it: the properties of a taxonomy node
(getPropertiesByTaxonomyId), read with the app's key alone (no seller's token)."""

from __future__ import annotations

from typing import Any

from stoflow.domain.call_budget import SELLER
from stoflow.marketplaces.common.apps import etsy_keys
from stoflow.marketplaces.common.http import MarketplaceHttp

NODES = "/v3/application/seller-taxonomy/nodes"


def _property(raw: dict[str, Any]) -> dict[str, Any]:
    """One property, in the cache's shape (the same keys eBay's aspects use where they mean the same)."""
    return {
        "name": raw.get("display_name") or raw.get("name"),
        "property_id": raw.get("property_id"),
        "required": bool(raw.get("is_required")),
        "cardinality": "MULTI" if raw.get("is_multivalued") else "SINGLE",
        "max_values": raw.get("max_values_allowed"),
        "values": [v.get("name") for v in raw.get("possible_values") or [] if v.get("name")],
    }


class EtsyTaxonomy:
    def __init__(self, http: MarketplaceHttp | None = None) -> None:
        if http is None:
            from stoflow.marketplaces.etsy.calls import etsy_http

            # Counted with the seller's actions: a few dozen calls a week, never held back.
            http = etsy_http(SELLER)
        self.http = http

    def close(self) -> None:
        self.http.close()

    def properties(self, taxonomy_id: int) -> list[dict[str, Any]] | None:
        """A node's properties (None: Etsy has no such node)."""
        response = self.http.request(
            "GET",
            f"{NODES}/{int(taxonomy_id)}/properties",
            headers={"x-api-key": etsy_keys().api_key_header, "Accept": "application/json"},
            allow_statuses=frozenset({400, 404}),
        )
        if response.status_code in (400, 404):
            return None
        return [_property(p) for p in response.json().get("results") or []]
