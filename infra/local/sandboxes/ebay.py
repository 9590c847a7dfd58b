"""The eBay sandbox: the consent page, OAuth tokens (user and application), Account (business
policies, program opt-in), Inventory (items, offers, publish, withdraw, locations), Fulfillment
(orders), Metadata (item condition policies) and Taxonomy (category trees, suggestions, item
aspects per category: ebay_taxonomy), keeping state and refusing what eBay refuses.

Realistic errors, with eBay's error shapes: an unknown or expired token (1001), a reused
authorization code (invalid_grant), an offer created twice (25002), publishing without policies,
location, price or photos (25007), a missing required item specific of the offer's category
(25002, as eBay names it), a category the site does not know (25005), a photo eBay cannot
download (25604), business policies before the seller opted in (20403),
and, through `fail_for`, 429 with Retry-After or 503.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import httpx

from infra.local.sandboxes import ebay_taxonomy as taxonomy
from infra.local.sandboxes.base import ApiSandbox, html_response, json_response, page, redirect

CLIENT_ID = "StoFlow-sandbox-PRD-1234"
CLIENT_SECRET = "ebay-sandbox-client-secret"  # noqa: S105 - the sandbox's own made-up app key
RU_NAME = "StoFlow_Sandbox-StoFlowS-local-abcde"
SELLER = "sandbox_seller"
SELLER_ID = "sAnDb0xSeLl3r"  # eBay's immutable user id of the seller (getUser, notices)
TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - a path
CONSENT_PATH = "/oauth2/authorize"
# The verification token the sandbox app registered for its account deletion endpoint.
VERIFICATION_TOKEN = "sandbox-verification-token-0123456789abcdef"  # noqa: S105 (the sandbox's own)
# The Notification API's public key of the sandbox's signing key (the only key id it signs with).
NOTIFICATION_KEY_ID = "sandbox-notification-key"
PUBLIC_KEY_PATH = "/commerce/notification/v1/public_key/" + NOTIFICATION_KEY_ID
_SIGNING_KEY: Any = None
CONDITIONS = [
    ("1000", "NEW"),
    ("1500", "NEW_OTHER"),
    ("2990", "PRE_OWNED_EXCELLENT"),
    ("3000", "USED_EXCELLENT"),
    ("3010", "PRE_OWNED_FAIR"),
]

ImageFetcher = Callable[[str], bool]


def ebay_error(
    status: int, error_id: int, message: str, domain: str = "API_INVENTORY", **params: str
) -> httpx.Response:
    error: dict[str, Any] = {"errorId": error_id, "domain": domain, "category": "REQUEST", "message": message}
    if params:
        error["parameters"] = [{"name": k, "value": v} for k, v in params.items()]
    return json_response(status, {"errors": [error]})


class EbaySandbox(ApiSandbox):
    marketplace = "ebay"
    # The Commerce Notification and Identity APIs are in no contract file of ours: their paths go
    # unchecked.
    unchecked_paths = frozenset({TOKEN_PATH, CONSENT_PATH})
    unchecked_prefixes = ("/commerce/notification/v1/", "/commerce/identity/v1/")
    persisted = (
        *ApiSandbox.persisted,
        "items",
        "offers",
        "locations",
        "opted_in",
        "policies",
        "orders",
        "destinations",
        "subscriptions",
    )

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        ru_name: str = RU_NAME,
        accept_url: str | None = None,
        image_fetcher: ImageFetcher | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client_id, self.client_secret, self.ru_name = client_id, client_secret, ru_name
        # Where eBay sends the browser after consent: the accept URL registered with the RuName.
        self.accept_url = accept_url
        # eBay downloads every photo at publish; None: URLs are taken as they are (unit tests).
        self.image_fetcher = image_fetcher
        self.codes: set[str] = set()
        self.items: dict[str, dict[str, Any]] = {}
        self.item_puts: list[tuple[str, dict[str, Any]]] = []
        self.offers: dict[str, dict[str, Any]] = {}
        self.locations: dict[str, dict[str, Any]] = {}
        self.opted_in = {"SELLING_POLICY_MANAGEMENT"}
        self.policies = {
            "fulfillment": [{"fulfillmentPolicyId": "6196932000", "name": "Colissimo", "marketplaceId": "EBAY_FR"}],
            "payment": [{"paymentPolicyId": "6196934000", "name": "Paiement immédiat", "marketplaceId": "EBAY_FR"}],
            "return": [{"returnPolicyId": "6196936000", "name": "Retours 30 jours", "marketplaceId": "EBAY_FR"}],
        }
        self.orders: list[dict[str, Any]] = []
        # The Notification API: the app's destinations and the seller's subscriptions, by id.
        self.destinations: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}

    # --- what the seller does on eBay's own pages -----------------------------------------------

    def consent(self) -> str:
        """The seller accepts on eBay's consent page: eBay hands out an authorization code."""
        code = f"v^1.1#i^1#{secrets.token_urlsafe(16)}"
        with self.lock:
            self.codes.add(code)
        return code

    def is_page(self, request: httpx.Request) -> bool:
        return request.url.path == CONSENT_PATH

    def consent_page(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        if request.method == "POST":
            query.update(dict(parse_qsl(request.content.decode())))
        problems = []
        if query.get("client_id") != self.client_id:
            problems.append("unknown client_id")
        if query.get("redirect_uri") != self.ru_name:
            problems.append("redirect_uri is not the application's RuName")
        if query.get("response_type") != "code":
            problems.append("response_type must be code")
        if not query.get("state"):
            problems.append("no state")
        if problems:
            return html_response(
                400, page("eBay: invalid request", f"<h1>Invalid request</h1><p>{'; '.join(problems)}</p>")
            )
        if self.accept_url is None:
            return html_response(400, page("eBay", "<h1>No accept URL is registered for this RuName</h1>"))
        if request.method == "GET":
            keep = "".join(
                f'<input type=hidden name="{k}" value="{_attr(v)}">'
                for k, v in query.items()
                if k in ("client_id", "redirect_uri", "response_type", "scope", "state")
            )
            scopes = "".join(f"<li><code>{_attr(s)}</code></li>" for s in query.get("scope", "").split())
            body = (
                "<h1>eBay: grant application access</h1>"
                f"<p>StoFlow wants to act for the eBay seller <b>{SELLER}</b>:</p><ul>{scopes}</ul>"
                f"<form method=post>{keep}<button name=decision value=approve id=approve>Approve</button>"
                "<button name=decision value=deny id=deny>Deny</button></form>"
            )
            return html_response(200, page("eBay: grant application access", body))
        state = query["state"]
        if query.get("decision") == "approve":
            return redirect(_with_query(self.accept_url, {"code": self.consent(), "state": state, "expires_in": "299"}))
        return redirect(_with_query(self.accept_url, {"error": "access_denied", "state": state}))

    def sell(self, sku: str, *, cancelled: bool = False, when: datetime | None = None) -> str:
        """A buyer checks out the listing with this SKU: an order appears in getOrders (by default
        stamped 90 seconds ago: a sale eBay has just indexed, past the minute it takes)."""
        with self.lock:
            when = when or self.clock() - timedelta(seconds=90)
            order_id = f"12-{next(self.ids):05d}-{next(self.ids):05d}"
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            offer = next((o for o in self.offers.values() if o["sku"] == sku), None)
            listing_id = ((offer or {}).get("listing") or {}).get("listingId", "1100001")
            order = {
                "orderId": order_id,
                "creationDate": stamp,
                "lastModifiedDate": stamp,
                "orderFulfillmentStatus": "NOT_STARTED",
                "orderPaymentStatus": "PAID",
                "buyer": {"username": "buyer_jane"},
                "sellerId": SELLER,
                "pricingSummary": {"total": {"value": "42.50", "currency": "EUR"}},
                "cancelStatus": {"cancelState": "CANCELED" if cancelled else "NONE_REQUESTED", "cancelRequests": []},
                "lineItems": [
                    {
                        "lineItemId": str(next(self.ids)),
                        "sku": sku,
                        "title": self.items.get(sku, {}).get("product", {}).get("title", sku),
                        "quantity": 1,
                        "legacyItemId": listing_id,
                    }
                ],
            }
            self.orders.append(order)
            return order_id

    # --- Marketplace Account Deletion notices ------------------------------------------------

    # Where eBay sends the app's notices (set by the local cloud).
    notification_endpoint: str | None = None

    @staticmethod
    def _signing_key() -> Any:
        """One key per process for the one key id, as eBay keeps a key id's key (apps cache it)."""
        global _SIGNING_KEY
        from cryptography.hazmat.primitives.asymmetric import ec

        if _SIGNING_KEY is None:
            _SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
        return _SIGNING_KEY

    def notification_public_key(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return (
            self._signing_key()
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def account_deletion_notice(self, username: str, user_id: str) -> tuple[dict[str, str], bytes]:
        """An eBay account was closed: the notice eBay POSTs to the endpoint, signed as eBay signs."""
        data = {"username": username, "userId": user_id, "eiasToken": secrets.token_urlsafe(16)}
        return self._signed("MARKETPLACE_ACCOUNT_DELETION", data)

    def _signed(self, topic: str, data: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """A notice as eBay POSTs it: X-EBAY-SIGNATURE is base64 of {alg, kid, signature, digest},
        ECDSA over the body with SHA-1."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        stamp = self.clock().strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = json.dumps(
            {
                "metadata": {"topic": topic, "schemaVersion": "1.0", "deprecated": False},
                "notification": {
                    "notificationId": f"{secrets.token_hex(16)}_{secrets.token_hex(16)}",
                    "eventDate": stamp,
                    "publishDate": stamp,
                    "publishAttemptCount": 1,
                    "data": data,
                },
            }
        ).encode()
        signature = self._signing_key().sign(body, ec.ECDSA(hashes.SHA1()))  # noqa: S303 (eBay's algorithm)
        header = {
            "alg": "ECDSA",
            "kid": NOTIFICATION_KEY_ID,
            "signature": base64.b64encode(signature).decode(),
            "digest": "SHA1",
        }
        return {"x-ebay-signature": base64.b64encode(json.dumps(header).encode()).decode()}, body

    def order_notice(self, order_id: str) -> tuple[dict[str, str], bytes]:
        """A buyer completed checkout: the ORDER_CONFIRMATION notice for the seller's order (the
        seller's user id and username, the order id and its line items' listing ids)."""
        with self.lock:
            order = next(o for o in self.orders if o["orderId"] == order_id)
            lines = [
                {
                    "orderLineItemId": li["lineItemId"],
                    "listingId": li.get("legacyItemId"),
                    "quantity": li.get("quantity", 1),
                }
                for li in order["lineItems"]
            ]
        data = {
            "user": {"userId": SELLER_ID, "username": SELLER},
            "order": {"orderId": order_id, "orderLineItems": lines},
        }
        return self._signed("ORDER_CONFIRMATION", data)

    def order_notice_destination(self) -> str | None:
        """Where eBay sends the seller's order notices: the endpoint of the destination an
        enabled ORDER_CONFIRMATION subscription names (None: nobody subscribed)."""
        with self.lock:
            for subscription in self.subscriptions.values():
                if subscription["topicId"] == "ORDER_CONFIRMATION" and subscription["status"] == "ENABLED":
                    destination = self.destinations.get(subscription["destinationId"])
                    if destination is not None and destination["status"] == "ENABLED":
                        return str(destination["deliveryConfig"]["endpoint"])
            return None

    def cancel(self, order_id: str) -> bool:
        """The buyer and seller agree to cancel the order: getOrders shows it CANCELED, modified now."""
        with self.lock:
            for order in self.orders:
                if order["orderId"] == order_id:
                    order["cancelStatus"] = {"cancelState": "CANCELED", "cancelRequests": []}
                    order["lastModifiedDate"] = (self.clock() - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                    return True
            return False

    def find_sku(self, listing: str) -> str | None:
        """A SKU, an offer id or a listing id: the SKU it names."""
        with self.lock:
            if listing in self.items:
                return listing
            for offer in self.offers.values():
                if listing in (offer["offerId"], (offer.get("listing") or {}).get("listingId")):
                    return str(offer["sku"])
            return None

    def remove_listing(self, sku: str) -> bool:
        """eBay ends a listing on its own (a policy takedown): the offer is no longer published."""
        with self.lock:
            found = False
            for offer in self.offers.values():
                if offer["sku"] == sku and offer["status"] == "PUBLISHED":
                    offer["status"] = "UNPUBLISHED"
                    offer["listing"] = {**offer["listing"], "listingStatus": "ENDED"}
                    found = True
            return found

    def listings(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "sku": o["sku"],
                    "offer_id": o["offerId"],
                    "listing_id": (o.get("listing") or {}).get("listingId"),
                    "status": (o.get("listing") or {}).get("listingStatus", o["status"]),
                    "title": self.items.get(o["sku"], {}).get("product", {}).get("title"),
                }
                for o in self.offers.values()
            ]

    # --- the API --------------------------------------------------------------------------------

    def contract_error(self, problems: list[str]) -> httpx.Response:
        return ebay_error(400, 2004, "The request does not match the API contract: " + "; ".join(problems)[:1500])

    def outage_response(self, status: int, retry_after_s: int) -> httpx.Response:
        if status == 429:
            response = ebay_error(
                429, 2001, "Too many requests. The request limit has been reached for the resource.", "ACCESS"
            )
        else:
            response = ebay_error(status, 2003, "Internal error. The service is not available.", "ACCESS")
        response.headers["Retry-After"] = str(retry_after_s)
        return response

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == CONSENT_PATH:
            return self.consent_page(request)
        if path == TOKEN_PATH:
            return self.token(request)
        if not self.bearer_ok(request):
            return ebay_error(401, 1001, "Invalid access token", "OAuth")
        if path == PUBLIC_KEY_PATH:
            return json_response(200, {"algorithm": "ECDSA", "digest": "SHA1", "key": self.notification_public_key()})
        if path.startswith("/commerce/notification/v1/") or path == "/commerce/identity/v1/user/":
            return self.commerce(request)
        inv = "/sell/inventory/v1"
        method = request.method
        if m := re.fullmatch(inv + r"/inventory_item/([^/]+)", path):
            return self.inventory_item(request, m.group(1))
        if path == inv + "/inventory_item" and method == "GET":
            query = dict(parse_qsl(request.url.query.decode()))
            limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
            skus = sorted(self.items)
            found = [{"sku": sku, "locale": "fr_FR", **self.items[sku]} for sku in skus[offset : offset + limit]]
            return json_response(
                200, {"href": path, "inventoryItems": found, "limit": limit, "size": len(found), "total": len(skus)}
            )
        if path == inv + "/offer":
            return self.create_offer(request) if method == "POST" else self.get_offers(request)
        if m := re.fullmatch(inv + r"/offer/([^/]+)", path):
            return self.offer(request, m.group(1))
        if m := re.fullmatch(inv + r"/offer/([^/]+)/(publish|withdraw)", path):
            return self.publish(m.group(1)) if m.group(2) == "publish" else self.withdraw(m.group(1))
        if m := re.fullmatch(inv + r"/location/([^/]+)", path):
            key = m.group(1)
            if method == "GET":
                if key not in self.locations:
                    return ebay_error(404, 25804, "Location not found")
                return json_response(200, {"merchantLocationKey": key, **self.locations[key]})
            if key in self.locations:
                return ebay_error(409, 25803, "Location already exists")
            self.locations[key] = json.loads(request.content)
            return httpx.Response(204)
        if m := re.fullmatch(r"/sell/account/v1/(fulfillment|payment|return)_policy", path):
            if "SELLING_POLICY_MANAGEMENT" not in self.opted_in:
                return ebay_error(400, 20403, "User is not eligible for Business Policy.", "API_ACCOUNT")
            kind = m.group(1)
            key = {"fulfillment": "fulfillmentPolicies", "payment": "paymentPolicies", "return": "returnPolicies"}
            found = self.policies[kind]
            return json_response(200, {"href": path, key[kind]: found, "total": len(found), "limit": 20, "offset": 0})
        if path == "/sell/account/v1/program/get_opted_in_programs":
            return json_response(200, {"programs": [{"programType": p} for p in sorted(self.opted_in)]})
        if path == "/sell/account/v1/program/opt_in":
            program = json.loads(request.content).get("programType")
            if program in self.opted_in:
                return ebay_error(409, 20404, "Already opted in to the program.", "API_ACCOUNT")
            self.opted_in.add(str(program))
            return json_response(200, {})
        if path.startswith("/commerce/taxonomy/v1/"):
            return self.taxonomy(request)
        if m := re.fullmatch(r"/sell/metadata/v1/marketplace/([A-Z_]+)/get_item_condition_policies", path):
            return self.condition_policies(request)
        if path == "/sell/fulfillment/v1/order":
            return self.get_orders(request)
        return ebay_error(404, 2002, f"the eBay sandbox has no {method} {path}")

    def token(self, request: httpx.Request) -> httpx.Response:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return json_response(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") == "authorization_code":
            if form.get("code") not in self.codes or form.get("redirect_uri") != self.ru_name:
                return json_response(400, {"error": "invalid_grant", "error_description": "the code is invalid"})
            self.codes.discard(form["code"])
            access, refresh = self.issue_access_token("v^1.1#access#", 7200), self.new_token("v^1.1#refresh#")
            self.refresh_tokens.add(refresh)
            return json_response(
                200,
                {
                    "access_token": access,
                    "expires_in": 7200,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": 47304000,
                    "token_type": "User Access Token",
                },
            )
        if form.get("grant_type") == "client_credentials":
            access = self.issue_access_token("v^1.1#app#", 7200)
            return json_response(
                200, {"access_token": access, "expires_in": 7200, "token_type": "Application Access Token"}
            )
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens or not form.get("scope"):
                return json_response(
                    400, {"error": "invalid_grant", "error_description": "the refresh token is invalid"}
                )
            self.refreshes += 1
            access = self.issue_access_token("v^1.1#access#", 7200)
            return json_response(200, {"access_token": access, "expires_in": 7200, "token_type": "User Access Token"})
        return json_response(400, {"error": "unsupported_grant_type"})

    def inventory_item(self, request: httpx.Request, sku: str) -> httpx.Response:
        if request.method == "PUT":
            body = json.loads(request.content)
            self.items[sku] = body  # createOrReplace: the new item replaces the old one whole
            self.item_puts.append((sku, body))
            return httpx.Response(204)
        if sku not in self.items:
            return ebay_error(404, 25710, "Inventory item not found")
        if request.method == "DELETE":
            if any(o["sku"] == sku and o["status"] == "PUBLISHED" for o in self.offers.values()):
                return ebay_error(400, 25001, "withdraw the offer first")
            del self.items[sku]
            for offer_id in [i for i, o in self.offers.items() if o["sku"] == sku]:
                del self.offers[offer_id]
            return httpx.Response(204)
        return json_response(200, {"sku": sku, "locale": "fr_FR", **self.items[sku]})

    def create_offer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("sku") not in self.items:
            return ebay_error(400, 25702, "No inventory item for this SKU")
        for offer in self.offers.values():
            if offer["sku"] == body["sku"] and offer["marketplaceId"] == body.get("marketplaceId"):
                return ebay_error(400, 25002, "Offer entity already exists", offerId=offer["offerId"])
        offer_id = str(5000000000 + next(self.ids))
        self.offers[offer_id] = {**body, "offerId": offer_id, "status": "UNPUBLISHED"}
        return json_response(201, {"offerId": offer_id})

    def get_offers(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        found = [
            o
            for o in self.offers.values()
            if o["sku"] == query.get("sku") and o["marketplaceId"] == query.get("marketplace_id", o["marketplaceId"])
        ]
        if not found:
            return ebay_error(404, 25713, "This Offer is not available")
        return json_response(
            200, {"href": request.url.path, "offers": found, "size": len(found), "total": len(found), "limit": 25}
        )

    def offer(self, request: httpx.Request, offer_id: str) -> httpx.Response:
        offer = self.offers.get(offer_id)
        if offer is None:
            return ebay_error(404, 25713, "This Offer is not available")
        if request.method == "GET":
            return json_response(200, offer)
        if request.method == "DELETE":
            del self.offers[offer_id]
            return httpx.Response(204)
        body = json.loads(request.content)  # updateOffer replaces every updatable field
        keep = {k: offer[k] for k in ("offerId", "sku", "marketplaceId", "format", "status", "listing") if k in offer}
        self.offers[offer_id] = {**body, **keep}
        return httpx.Response(204)

    def publish(self, offer_id: str) -> httpx.Response:
        offer = self.offers.get(offer_id)
        if offer is None:
            return ebay_error(404, 25713, "This Offer is not available")
        item = self.items.get(offer["sku"], {})
        product = item.get("product", {})
        policies = offer.get("listingPolicies", {})
        problems = []
        if not item.get("condition"):
            problems.append("condition")
        if not product.get("imageUrls"):
            problems.append("imageUrls")
        if not offer.get("categoryId"):
            problems.append("categoryId")
        if offer.get("merchantLocationKey") not in self.locations:
            problems.append("merchantLocationKey")
        for kind, key in (
            ("fulfillment", "fulfillmentPolicyId"),
            ("payment", "paymentPolicyId"),
            ("return", "returnPolicyId"),
        ):
            if policies.get(key) not in {p[key] for p in self.policies[kind]}:
                problems.append(key)
        if not (offer.get("pricingSummary") or {}).get("price"):
            problems.append("price")
        if problems:
            return ebay_error(400, 25007, f"missing or invalid: {', '.join(problems)}")
        aspects = product.get("aspects") or {}
        site, category = str(offer.get("marketplaceId")), str(offer.get("categoryId"))
        if taxonomy.aspects(site, category) is None:
            return ebay_error(400, 25005, f"The category ID {category} is not valid.", **{"0": category})
        for name in taxonomy.required(site, category):
            if not aspects.get(name):
                return ebay_error(
                    400,
                    25002,
                    f"The item specific {name} is missing. Add {name} to this listing, enter a valid value, "
                    "and then try again.",
                    **{"0": name},
                )
        if self.image_fetcher is not None:
            for url in product.get("imageUrls", []):
                if not self.image_fetcher(url):
                    return ebay_error(400, 25604, f"The picture could not be downloaded from {url}.", **{"0": url})
        listing = offer.get("listing") or {"listingId": str(110000000000 + next(self.ids))}
        offer["listing"] = {**listing, "listingStatus": "ACTIVE"}
        offer["status"] = "PUBLISHED"
        return json_response(200, {"listingId": listing["listingId"]})

    def withdraw(self, offer_id: str) -> httpx.Response:
        offer = self.offers.get(offer_id)
        if offer is None or offer["status"] != "PUBLISHED":
            return ebay_error(400, 25713, "The offer is not published")
        offer["status"] = "UNPUBLISHED"
        offer["listing"] = {**offer["listing"], "listingStatus": "ENDED"}
        return json_response(200, {"listingId": offer["listing"]["listingId"]})

    def condition_policies(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        categories = ["11483", "63862", "11450"]
        if query.get("filter"):
            m = re.fullmatch(r"categoryIds:\{?([\d|]+)\}?", query["filter"])
            if m is None:
                return ebay_error(400, 46002, "The filter value is invalid.", "API_METADATA")
            categories = m.group(1).split("|")
        conditions = [
            {"conditionId": cid, "conditionDescription": name, "usage": "REQUIRED"} for cid, name in CONDITIONS
        ]
        policies = [
            {"categoryId": c, "categoryTreeId": "71", "itemConditionRequired": True, "itemConditions": conditions}
            for c in categories
        ]
        return json_response(200, {"itemConditionPolicies": policies})

    def taxonomy(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/commerce/taxonomy/v1")
        query = dict(parse_qsl(request.url.query.decode()))
        if path == "/get_default_category_tree_id":
            tree = taxonomy.TREES.get(query.get("marketplace_id", ""))
            if tree is None:
                return ebay_error(400, 62002, "The marketplace ID is invalid.", "API_TAXONOMY")
            return json_response(200, {"categoryTreeId": tree[0], "categoryTreeVersion": tree[1]})
        m = re.fullmatch(r"/category_tree/([^/]+)/(get_item_aspects_for_category|get_category_suggestions)", path)
        site = taxonomy.site_of(m.group(1)) if m else None
        if m is None or site is None:
            return ebay_error(404, 62004, "The category tree ID is invalid.", "API_TAXONOMY")
        tree_version = taxonomy.TREES[site][1]
        if m.group(2) == "get_category_suggestions":
            found = taxonomy.suggestions(query.get("q", ""))
            if not found:
                return httpx.Response(204)
            return json_response(
                200, {"categorySuggestions": found, "categoryTreeId": m.group(1), "categoryTreeVersion": tree_version}
            )
        aspects = taxonomy.aspects(site, query.get("category_id", ""))
        if aspects is None:
            return ebay_error(400, 62005, "The category ID is invalid or not a leaf category.", "API_TAXONOMY")
        return json_response(200, {"aspects": aspects})

    def commerce(self, request: httpx.Request) -> httpx.Response:
        """Commerce Identity (getUser) and Notification (topic, destinations, subscriptions)."""
        path, method = request.url.path, request.method
        base = "/commerce/notification/v1"
        if path == "/commerce/identity/v1/user/":
            return json_response(200, {"userId": SELLER_ID, "username": SELLER, "accountType": "INDIVIDUAL"})
        if path == base + "/topic/ORDER_CONFIRMATION":
            return json_response(
                200,
                {
                    "topicId": "ORDER_CONFIRMATION",
                    "description": "A buyer completed the checkout of an order.",
                    "status": "ENABLED",
                    "context": "SELLING",
                    "scope": "USER",
                    "supportedPayloads": [
                        {"schemaVersion": "1.0", "format": ["JSON"], "deliveryProtocol": "HTTPS", "deprecated": False}
                    ],
                    "filterable": False,
                },
            )
        for kind, store in (("destination", self.destinations), ("subscription", self.subscriptions)):
            if path != f"{base}/{kind}":
                continue
            if method == "GET":
                with self.lock:
                    found = list(store.values())
                return json_response(200, {f"{kind}s": found, "total": len(found), "limit": 100})
            body = json.loads(request.content)
            with self.lock:
                new_id = secrets.token_hex(16)
                if kind == "subscription":
                    if any(
                        s["topicId"] == body.get("topicId") and s["destinationId"] == body.get("destinationId")
                        for s in store.values()
                    ):
                        return ebay_error(409, 195016, "Duplicate subscription.", "API_NOTIFICATION")
                    if body.get("destinationId") not in self.destinations:
                        return ebay_error(404, 195013, "The destination was not found.", "API_NOTIFICATION")
                store[new_id] = {f"{kind}Id": new_id, **body}
            response = httpx.Response(201)
            response.headers["Location"] = f"{request.url.scheme}://{request.url.netloc.decode()}{path}/{new_id}"
            return response
        if (m := re.fullmatch(base + r"/destination/([^/]+)", path)) and method == "PUT":
            with self.lock:
                if m.group(1) not in self.destinations:
                    return ebay_error(404, 195013, "The destination was not found.", "API_NOTIFICATION")
                self.destinations[m.group(1)] = {"destinationId": m.group(1), **json.loads(request.content)}
            return httpx.Response(204)
        if m := re.fullmatch(base + r"/subscription/([^/]+)/enable", path):
            with self.lock:
                if m.group(1) not in self.subscriptions:
                    return ebay_error(404, 195020, "The subscription was not found.", "API_NOTIFICATION")
                self.subscriptions[m.group(1)]["status"] = "ENABLED"
            return httpx.Response(204)
        return ebay_error(404, 2002, f"the eBay sandbox has no {method} {path}")

    def get_orders(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        if query.get("orderIds"):  # eBay ignores every other parameter then
            wanted = query["orderIds"].split(",")
            found = [o for o in self.orders if o["orderId"] in wanted]
            return json_response(200, {"href": request.url.path, "orders": found, "total": len(found)})
        since = until = None
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
        if m := re.fullmatch(rf"lastmodifieddate:\[({stamp})\.\.({stamp})?\]", query.get("filter", "")):
            since, until = m.group(1), m.group(2)
        elif query.get("filter"):
            return ebay_error(400, 30700, "bad filter")
        # Like eBay: filtered on lastModifiedDate, returned newest created first.
        found = sorted(
            (
                o
                for o in self.orders
                if (since is None or o["lastModifiedDate"] >= since)
                and (until is None or o["lastModifiedDate"] <= until)
            ),
            key=lambda o: o["creationDate"],
            reverse=True,
        )
        limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
        found_page = found[offset : offset + limit]
        body: dict[str, Any] = {
            "href": request.url.path,
            "orders": found_page,
            "total": len(found),
            "limit": limit,
            "offset": offset,
        }
        if offset + limit < len(found):
            body["next"] = f"{request.url.path}?offset={offset + limit}"
        return json_response(200, body)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _with_query(url: str, values: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(values)
