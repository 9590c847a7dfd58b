"""The eBay APIs we use: Sell Inventory (items, offers, locations), Account (business policies),
Fulfillment (orders), and Commerce Identity (who the seller is) and Notification (sale notices).
The Sell paths and bodies follow the official OpenAPI files (tests check them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from stoflow.config import get_settings
from stoflow.marketplaces.common.http import MarketplaceApiError, MarketplaceHttp
from stoflow.marketplaces.common.tokens import AccountTokens, call_with_token

INVENTORY = "/sell/inventory/v1"
ACCOUNT = "/sell/account/v1"
FULFILLMENT = "/sell/fulfillment/v1"
NOTIFICATION = "/commerce/notification/v1"
IDENTITY_USER = "/commerce/identity/v1/user/"
POLICY_KINDS = {
    "fulfillment": ("fulfillment_policy", "fulfillmentPolicies", "fulfillmentPolicyId"),
    "payment": ("payment_policy", "paymentPolicies", "paymentPolicyId"),
    "return": ("return_policy", "returnPolicies", "returnPolicyId"),
}


def _seg(value: str) -> str:
    return quote(value, safe="")


class EbayClient:
    def __init__(self, http: MarketplaceHttp, tokens: AccountTokens) -> None:
        self.http = http
        self.tokens = tokens
        self.language = get_settings().ebay_content_language

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        allow_statuses: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        def send(token: str) -> httpx.Response:
            all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
            if json is not None:
                all_headers.setdefault("Content-Type", "application/json")
            return self.http.request(
                method, path, json=json, params=params, headers=all_headers, allow_statuses=allow_statuses
            )

        response = call_with_token(self.tokens, send)
        assert isinstance(response, httpx.Response)
        return response

    # --- inventory items ---------------------------------------------------------------------

    def put_inventory_item(self, sku: str, item: dict[str, Any]) -> None:
        """createOrReplaceInventoryItem: the item is replaced whole, never merged."""
        self._call(
            "PUT", f"{INVENTORY}/inventory_item/{_seg(sku)}", json=item, headers={"Content-Language": self.language}
        )

    def get_inventory_item(self, sku: str) -> dict[str, Any] | None:
        response = self._call("GET", f"{INVENTORY}/inventory_item/{_seg(sku)}", allow_statuses=frozenset({404}))
        return None if response.status_code == 404 else response.json()

    def delete_inventory_item(self, sku: str) -> None:
        self._call("DELETE", f"{INVENTORY}/inventory_item/{_seg(sku)}", allow_statuses=frozenset({404}))

    def get_inventory_items(self, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        params = {"limit": str(limit), "offset": str(offset)}
        return self._call("GET", f"{INVENTORY}/inventory_item", params=params).json()

    # --- offers ------------------------------------------------------------------------------

    def get_offers(self, sku: str, marketplace_id: str) -> list[dict[str, Any]]:
        response = self._call(
            "GET",
            f"{INVENTORY}/offer",
            params={"sku": sku, "marketplace_id": marketplace_id},
            allow_statuses=frozenset({404}),
        )
        return [] if response.status_code == 404 else list(response.json().get("offers", []))

    def create_offer(self, offer: dict[str, Any]) -> str:
        response = self._call("POST", f"{INVENTORY}/offer", json=offer, headers={"Content-Language": self.language})
        return str(response.json()["offerId"])

    def update_offer(self, offer_id: str, offer: dict[str, Any]) -> None:
        """updateOffer replaces the whole offer too: send every field, not a patch."""
        self._call(
            "PUT", f"{INVENTORY}/offer/{_seg(offer_id)}", json=offer, headers={"Content-Language": self.language}
        )

    def publish_offer(self, offer_id: str) -> str:
        return str(self._call("POST", f"{INVENTORY}/offer/{_seg(offer_id)}/publish").json()["listingId"])

    def withdraw_offer(self, offer_id: str) -> None:
        self._call("POST", f"{INVENTORY}/offer/{_seg(offer_id)}/withdraw")

    def delete_offer(self, offer_id: str) -> None:
        self._call("DELETE", f"{INVENTORY}/offer/{_seg(offer_id)}", allow_statuses=frozenset({404}))

    # --- locations ---------------------------------------------------------------------------

    def get_location(self, key: str) -> dict[str, Any] | None:
        response = self._call("GET", f"{INVENTORY}/location/{_seg(key)}", allow_statuses=frozenset({404}))
        return None if response.status_code == 404 else response.json()

    def create_location(self, key: str, location: dict[str, Any]) -> None:
        # 409: it exists already (another worker made it first): that is what we wanted.
        self._call("POST", f"{INVENTORY}/location/{_seg(key)}", json=location, allow_statuses=frozenset({409}))

    # --- account: business policies ---------------------------------------------------------

    def get_policies(self, kind: str, marketplace_id: str) -> list[dict[str, Any]]:
        path, key, _ = POLICY_KINDS[kind]
        response = self._call("GET", f"{ACCOUNT}/{path}", params={"marketplace_id": marketplace_id})
        return list(response.json().get(key, []))

    # --- fulfillment: orders -----------------------------------------------------------------

    def get_orders(
        self, *, modified_since: str, modified_until: str = "", limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        window = f"lastmodifieddate:[{modified_since}..{modified_until}]"
        params = {"filter": window, "limit": str(limit), "offset": str(offset)}
        return self._call("GET", f"{FULFILLMENT}/order", params=params).json()

    def get_orders_by_ids(self, order_ids: list[str]) -> dict[str, Any]:
        """getOrders of these orders (at most 50): eBay ignores every other parameter then."""
        return self._call("GET", f"{FULFILLMENT}/order", params={"orderIds": ",".join(order_ids)}).json()

    # --- commerce: identity and notifications ------------------------------------------------

    def get_user(self, identity_base_url: str) -> dict[str, Any]:
        """getUser: the seller's immutable userId and username (on eBay's apiz host)."""
        return self._call("GET", identity_base_url.rstrip("/") + IDENTITY_USER).json()

    def get_topic(self, topic_id: str) -> dict[str, Any]:
        return self._call("GET", f"{NOTIFICATION}/topic/{_seg(topic_id)}").json()

    def get_destinations(self) -> list[dict[str, Any]]:
        return list(
            self._call("GET", f"{NOTIFICATION}/destination", params={"limit": "100"}).json().get("destinations") or []
        )

    def create_destination(self, name: str, endpoint: str, verification_token: str) -> str:
        body = _enabled_destination(name, endpoint, verification_token)
        return _created_id(self._call("POST", f"{NOTIFICATION}/destination", json=body))

    def update_destination(self, destination_id: str, name: str, endpoint: str, verification_token: str) -> None:
        """updateDestination: the whole destination again (how a disabled one is enabled)."""
        body = _enabled_destination(name, endpoint, verification_token)
        self._call("PUT", f"{NOTIFICATION}/destination/{_seg(destination_id)}", json=body)

    def get_subscriptions(self) -> list[dict[str, Any]]:
        response = self._call("GET", f"{NOTIFICATION}/subscription", params={"limit": "100"})
        return list(response.json().get("subscriptions") or [])

    def create_subscription(self, topic_id: str, destination_id: str, schema_version: str) -> str:
        body = {
            "topicId": topic_id,
            "status": "ENABLED",
            "destinationId": destination_id,
            "payload": {"format": "JSON", "schemaVersion": schema_version, "deliveryProtocol": "HTTPS"},
        }
        return _created_id(self._call("POST", f"{NOTIFICATION}/subscription", json=body))

    def enable_subscription(self, subscription_id: str) -> None:
        self._call("POST", f"{NOTIFICATION}/subscription/{_seg(subscription_id)}/enable")


def _enabled_destination(name: str, endpoint: str, verification_token: str) -> dict[str, Any]:
    return {
        "name": name,
        "status": "ENABLED",
        "deliveryConfig": {"endpoint": endpoint, "verificationToken": verification_token},
    }


def _created_id(response: httpx.Response) -> str:
    """The id of what a Notification API POST created: the last segment of its Location header."""
    location = response.headers.get("location", "")
    created = location.rstrip("/").rsplit("/", 1)[-1]
    if not created:
        raise MarketplaceApiError("ebay", "eBay created it but named no id", kind="retryable", code="no_location")
    return created


def is_offer_exists_error(exc: MarketplaceApiError) -> bool:
    """eBay error 25002: an offer for this SKU and marketplace already exists (a repeat)."""
    return exc.status == 400 and any(str(e.get("errorId")) == "25002" for e in exc.errors)
