"""eBay's public category data with an application token (client credentials, no seller):
Taxonomy (the site's category tree and version, a leaf's item aspects, suggestions for a title)
and Metadata (the condition ids each category takes). Paths and shapes follow the official
OpenAPI files (commerce_taxonomy_v1, sell_metadata_v1; the contract tests check them)."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote

import httpx

from stoflow import runtime
from stoflow.marketplaces.common.http import MarketplaceHttp
from stoflow.marketplaces.ebay.oauth import TOKEN_PATH, EbayOAuth, api_base_url

TAXONOMY = "/commerce/taxonomy/v1"
METADATA = "/sell/metadata/v1"
PUBLIC_SCOPE = "https://api.ebay.com/oauth/api_scope"
# The Metadata API takes at most this many category ids in one condition-policies filter.
CONDITION_BATCH = 20


class AppToken:
    """This container's application token, until a minute before it expires."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value: tuple[str, float] | None = None

    def get(self, oauth: EbayOAuth) -> str:
        with self.lock:
            if self.value is not None and self.value[1] > time.monotonic():
                return self.value[0]
            response = oauth.http.request(
                "POST",
                TOKEN_PATH,
                data={"grant_type": "client_credentials", "scope": PUBLIC_SCOPE},
                auth=httpx.BasicAuth(oauth.keys.client_id, oauth.keys.client_secret),
                idempotent=True,
            )
            body = response.json()
            self.value = (str(body["access_token"]), time.monotonic() + int(body.get("expires_in", 7200)) - 60)
            return self.value[0]


APP_TOKEN: runtime.Part[AppToken] = runtime.Part("eBay application token", AppToken)


def _aspect(raw: dict[str, Any]) -> dict[str, Any]:
    """One aspect as readiness reads it (stoflow.models.requirements.MarketplaceRequirement)."""
    constraint = raw.get("aspectConstraint") or {}
    return {
        "name": raw.get("localizedAspectName"),
        "required": bool(constraint.get("aspectRequired")),
        "usage": constraint.get("aspectUsage"),
        "mode": constraint.get("aspectMode"),
        "cardinality": constraint.get("itemToAspectCardinality"),
        "values": [v.get("localizedValue") for v in raw.get("aspectValues") or [] if v.get("localizedValue")],
    }


class EbayTaxonomy:
    def __init__(self, http: MarketplaceHttp | None = None) -> None:
        self.http = http or MarketplaceHttp("ebay", api_base_url())
        self.oauth = EbayOAuth(self.http)

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict[str, str], allow: frozenset[int] = frozenset()) -> httpx.Response:
        token = runtime.get(APP_TOKEN).get(self.oauth)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return self.http.request("GET", path, params=params, headers=headers, allow_statuses=allow)

    def default_tree(self, site: str) -> tuple[str, str]:
        """(category tree id, tree version) of an eBay site (EBAY_FR, ...)."""
        body = self._get(f"{TAXONOMY}/get_default_category_tree_id", {"marketplace_id": site}).json()
        return str(body["categoryTreeId"]), str(body["categoryTreeVersion"])

    def item_aspects(self, tree_id: str, category_id: str) -> list[dict[str, Any]] | None:
        """A leaf category's aspects (None: the tree has no such leaf)."""
        response = self._get(
            f"{TAXONOMY}/category_tree/{quote(tree_id, safe='')}/get_item_aspects_for_category",
            {"category_id": category_id},
            allow=frozenset({400, 404}),
        )
        if response.status_code in (400, 404):
            return None
        return [_aspect(a) for a in response.json().get("aspects") or []]

    def suggestions(self, tree_id: str, query: str) -> list[dict[str, Any]]:
        response = self._get(
            f"{TAXONOMY}/category_tree/{quote(tree_id, safe='')}/get_category_suggestions",
            {"q": query},
            allow=frozenset({204}),
        )
        if response.status_code == 204 or not response.content:
            return []
        return [
            {
                "category_id": str(s["category"]["categoryId"]),
                "name": s["category"].get("categoryName"),
                "path": [a.get("categoryName") for a in reversed(s.get("categoryTreeNodeAncestors") or [])],
            }
            for s in response.json().get("categorySuggestions") or []
        ]

    def conditions(self, site: str, category_ids: list[str]) -> dict[str, list[str]]:
        """Condition ids per category (Metadata getItemConditionPolicies), in batches."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(category_ids), CONDITION_BATCH):
            batch = category_ids[start : start + CONDITION_BATCH]
            body = self._get(
                f"{METADATA}/marketplace/{quote(site, safe='')}/get_item_condition_policies",
                {"filter": "categoryIds:{" + "|".join(batch) + "}"},
            ).json()
            for policy in body.get("itemConditionPolicies") or []:
                found[str(policy["categoryId"])] = [
                    str(c["conditionId"]) for c in policy.get("itemConditions") or [] if c.get("conditionId")
                ]
        return found
