"""Fake eBay and Etsy servers (httpx.MockTransport) that behave like the real ones through whole
flows, and the fixture wiring them, our clients and the job system together.

The fakes keep state (tokens, inventory items, offers, listings, photos, orders, receipts), refuse
what the real APIs refuse (expired or unknown tokens, a reused authorization code, a wrong PKCE
verifier, an old Etsy refresh token, an offer created twice, publishing without policies or
photos, activating an Etsy listing without an image), and check every request they receive
against the official OpenAPI files (tests.support.openapi). Faults can be injected per call.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from tests.support.openapi import _multipart, check_request, check_response, spec_for

EBAY_CLIENT_ID = "StoFlow-test-PRD-1234"
EBAY_CLIENT_SECRET = "ebay-client-secret-value"
EBAY_RU_NAME = "StoFlow_Test-StoFlowT-test-abcde"
ETSY_KEYSTRING = "etsykeystring123"
ETSY_SECRET = "etsysharedsecret456"

# OAuth token endpoints are documented outside the Sell/Open API files.
TOKEN_PATHS = {"/identity/v1/oauth2/token", "/v3/public/oauth/token"}


@dataclass
class Fault:
    method: str
    path: str  # regex on the path
    status: int | None = None  # None: the connection breaks after the request was sent
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    # With status None: True = the server did the work, then the answer was lost.
    after: bool = False


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _ebay_error(status: int, error_id: int, message: str, **params: str) -> httpx.Response:
    error: dict[str, Any] = {"errorId": error_id, "domain": "API_INVENTORY", "category": "REQUEST", "message": message}
    if params:
        error["parameters"] = [{"name": k, "value": v} for k, v in params.items()]
    return _json(status, {"errors": [error]})


def _typed(raw: str) -> Any:
    """A form value as the resource holds it (Etsy answers with typed JSON)."""
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if re.fullmatch(r"-?\d+\.\d+", raw):
        return float(raw)
    return raw


class FakeServer:
    marketplace = ""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.contract_problems: list[str] = []
        self.response_problems: list[str] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.access_tokens: dict[str, datetime] = {}

    def fail(
        self,
        method: str,
        path: str,
        status: int | None = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        after: bool = False,
    ) -> None:
        self.faults.append(Fault(method, path, status, headers or {}, body, times, after))

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or re.search(path, r.url.path))
        ]

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens = {t: datetime.now(UTC) - timedelta(seconds=1) for t in self.access_tokens}

    def new_token(self, prefix: str = "") -> str:
        return prefix + secrets.token_urlsafe(24)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self.lock:
            self.requests.append(request)
            if request.url.path not in TOKEN_PATHS:
                spec = spec_for(self.marketplace, request.url.path)
                if spec is None:
                    self.contract_problems.append(f"{request.method} {request.url.path}: in no OpenAPI file")
                else:
                    self.contract_problems.extend(check_request(spec, request))
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and re.search(fault.path, request.url.path):
                    fault.times -= 1
                    if fault.status is None:
                        if fault.after:
                            self.route(request)  # done on the server; the answer never arrives
                        raise httpx.ReadTimeout("fake: no answer", request=request)
                    return _json(fault.status, fault.body if fault.body is not None else {"errors": []}, fault.headers)
            response = self.route(request)
            if request.url.path not in TOKEN_PATHS and response.status_code < 400:
                spec = spec_for(self.marketplace, request.url.path)
                if spec is not None:
                    response.read()
                    self.response_problems.extend(check_response(spec, request, response))
            return response

    def bearer_ok(self, request: httpx.Request) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        expires = self.access_tokens.get(token)
        return expires is not None and expires > datetime.now(UTC)

    def route(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError


class FakeEbay(FakeServer):
    marketplace = "ebay"

    def __init__(self) -> None:
        super().__init__()
        self.codes: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.refreshes = 0
        self.items: dict[str, dict[str, Any]] = {}
        self.item_puts: list[tuple[str, dict[str, Any]]] = []
        self.offers: dict[str, dict[str, Any]] = {}
        self.locations: dict[str, dict[str, Any]] = {}
        self.policies = {
            "fulfillment": [{"fulfillmentPolicyId": "6196932000", "name": "Colissimo", "marketplaceId": "EBAY_FR"}],
            "payment": [{"paymentPolicyId": "6196934000", "name": "Paiement immédiat", "marketplaceId": "EBAY_FR"}],
            "return": [{"returnPolicyId": "6196936000", "name": "Retours 30 jours", "marketplaceId": "EBAY_FR"}],
        }
        self.orders: list[dict[str, Any]] = []

    # --- what the seller does on eBay's own pages -----------------------------------------------

    def consent(self) -> str:
        """The seller accepts on eBay's consent page: eBay hands out an authorization code."""
        code = f"v^1.1#i^1#{secrets.token_urlsafe(16)}"
        self.codes.add(code)
        return code

    def sell(self, sku: str, *, cancelled: bool = False, when: datetime | None = None) -> str:
        """A buyer checks out the listing with this SKU: an order appears in getOrders (by default
        five minutes ago, past the minute eBay takes to index a change)."""
        when = when or datetime.now(UTC) - timedelta(minutes=5)
        order_id = f"12-{next(self.ids):05d}-{next(self.ids):05d}"
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        order = {
            "orderId": order_id,
            "creationDate": stamp,
            "lastModifiedDate": stamp,
            "orderFulfillmentStatus": "NOT_STARTED",
            "orderPaymentStatus": "PAID",
            "buyer": {"username": "buyer_jane"},
            "sellerId": "seller_x",
            "pricingSummary": {"total": {"value": "42.50", "currency": "EUR"}},
            "cancelStatus": {"cancelState": "CANCELED" if cancelled else "NONE_REQUESTED", "cancelRequests": []},
            "lineItems": [
                {
                    "lineItemId": str(next(self.ids)),
                    "sku": sku,
                    "title": self.items.get(sku, {}).get("product", {}).get("title", sku),
                    "quantity": 1,
                    "legacyItemId": "1100001",
                }
            ],
        }
        self.orders.append(order)
        return order_id

    # --- the API --------------------------------------------------------------------------------

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/identity/v1/oauth2/token":
            return self.token(request)
        if not self.bearer_ok(request):
            return _json(
                401,
                {
                    "errors": [
                        {"errorId": 1001, "domain": "OAuth", "category": "REQUEST", "message": "Invalid access token"}
                    ]
                },
            )
        inv = "/sell/inventory/v1"
        method = request.method
        if m := re.fullmatch(inv + r"/inventory_item/([^/]+)", path):
            return self.inventory_item(request, m.group(1))
        if path == inv + "/inventory_item" and method == "GET":
            query = dict(parse_qsl(request.url.query.decode()))
            limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
            skus = sorted(self.items)
            page = [{"sku": sku, "locale": "fr_FR", **self.items[sku]} for sku in skus[offset : offset + limit]]
            return _json(
                200, {"href": path, "inventoryItems": page, "limit": limit, "size": len(page), "total": len(skus)}
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
                    return _ebay_error(404, 25804, "Location not found")
                return _json(200, {"merchantLocationKey": key, **self.locations[key]})
            if key in self.locations:
                return _ebay_error(409, 25803, "Location already exists")
            self.locations[key] = json.loads(request.content)
            return httpx.Response(204)
        if m := re.fullmatch(r"/sell/account/v1/(fulfillment|payment|return)_policy", path):
            kind = m.group(1)
            key = {"fulfillment": "fulfillmentPolicies", "payment": "paymentPolicies", "return": "returnPolicies"}
            found = self.policies[kind]
            return _json(200, {"href": path, key[kind]: found, "total": len(found), "limit": 20, "offset": 0})
        if path == "/sell/fulfillment/v1/order":
            return self.get_orders(request)
        return _ebay_error(404, 2002, f"fake eBay has no {method} {path}")

    def token(self, request: httpx.Request) -> httpx.Response:
        expected = "Basic " + base64.b64encode(f"{EBAY_CLIENT_ID}:{EBAY_CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return _json(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") == "authorization_code":
            if form.get("code") not in self.codes or form.get("redirect_uri") != EBAY_RU_NAME:
                return _json(400, {"error": "invalid_grant", "error_description": "the code is invalid"})
            self.codes.discard(form["code"])
            access, refresh = self.new_token("v^1.1#access#"), self.new_token("v^1.1#refresh#")
            self.access_tokens[access] = datetime.now(UTC) + timedelta(seconds=7200)
            self.refresh_tokens.add(refresh)
            return _json(
                200,
                {
                    "access_token": access,
                    "expires_in": 7200,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": 47304000,
                    "token_type": "User Access Token",
                },
            )
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens or not form.get("scope"):
                return _json(400, {"error": "invalid_grant", "error_description": "the refresh token is invalid"})
            self.refreshes += 1
            access = self.new_token("v^1.1#access#")
            self.access_tokens[access] = datetime.now(UTC) + timedelta(seconds=7200)
            return _json(200, {"access_token": access, "expires_in": 7200, "token_type": "User Access Token"})
        return _json(400, {"error": "unsupported_grant_type"})

    def inventory_item(self, request: httpx.Request, sku: str) -> httpx.Response:
        if request.method == "PUT":
            body = json.loads(request.content)
            self.items[sku] = body  # createOrReplace: the new item replaces the old one whole
            self.item_puts.append((sku, body))
            return httpx.Response(204)
        if sku not in self.items:
            return _ebay_error(404, 25710, "Inventory item not found")
        if request.method == "DELETE":
            if any(o["sku"] == sku and o["status"] == "PUBLISHED" for o in self.offers.values()):
                return _ebay_error(400, 25001, "withdraw the offer first")
            del self.items[sku]
            for offer_id in [i for i, o in self.offers.items() if o["sku"] == sku]:
                del self.offers[offer_id]
            return httpx.Response(204)
        return _json(200, {"sku": sku, "locale": "fr_FR", **self.items[sku]})

    def create_offer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("sku") not in self.items:
            return _ebay_error(400, 25702, "No inventory item for this SKU")
        for offer in self.offers.values():
            if offer["sku"] == body["sku"] and offer["marketplaceId"] == body.get("marketplaceId"):
                return _ebay_error(400, 25002, "Offer entity already exists", offerId=offer["offerId"])
        offer_id = str(5000000000 + next(self.ids))
        self.offers[offer_id] = {**body, "offerId": offer_id, "status": "UNPUBLISHED"}
        return _json(201, {"offerId": offer_id})

    def get_offers(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        found = [
            o
            for o in self.offers.values()
            if o["sku"] == query.get("sku") and o["marketplaceId"] == query.get("marketplace_id", o["marketplaceId"])
        ]
        if not found:
            return _ebay_error(404, 25713, "This Offer is not available")
        return _json(
            200, {"href": request.url.path, "offers": found, "size": len(found), "total": len(found), "limit": 25}
        )

    def offer(self, request: httpx.Request, offer_id: str) -> httpx.Response:
        offer = self.offers.get(offer_id)
        if offer is None:
            return _ebay_error(404, 25713, "This Offer is not available")
        if request.method == "GET":
            return _json(200, offer)
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
            return _ebay_error(404, 25713, "This Offer is not available")
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
            return _ebay_error(400, 25007, f"missing or invalid: {', '.join(problems)}")
        listing = offer.get("listing") or {"listingId": str(110000000000 + next(self.ids))}
        offer["listing"] = {**listing, "listingStatus": "ACTIVE"}
        offer["status"] = "PUBLISHED"
        return _json(200, {"listingId": listing["listingId"]})

    def withdraw(self, offer_id: str) -> httpx.Response:
        offer = self.offers.get(offer_id)
        if offer is None or offer["status"] != "PUBLISHED":
            return _ebay_error(400, 25713, "The offer is not published")
        offer["status"] = "UNPUBLISHED"
        offer["listing"] = {**offer["listing"], "listingStatus": "ENDED"}
        return _json(200, {"listingId": offer["listing"]["listingId"]})

    def get_orders(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        since = until = None
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
        if m := re.fullmatch(rf"lastmodifieddate:\[({stamp})\.\.({stamp})?\]", query.get("filter", "")):
            since, until = m.group(1), m.group(2)
        elif query.get("filter"):
            return _ebay_error(400, 30700, "bad filter")
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
        page = found[offset : offset + limit]
        body: dict[str, Any] = {
            "href": request.url.path,
            "orders": page,
            "total": len(found),
            "limit": limit,
            "offset": offset,
        }
        if offset + limit < len(found):
            body["next"] = f"{request.url.path}?offset={offset + limit}"
        return _json(200, body)


class FakeEtsy(FakeServer):
    marketplace = "etsy"
    user_id = 77001234
    shop_id = 55501234

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, dict[str, str]] = {}
        self.refresh_tokens: set[str] = set()
        self.refreshes = 0
        self.listings: dict[int, dict[str, Any]] = {}
        self.images: dict[int, list[dict[str, Any]]] = {}
        self.inventory: dict[int, dict[str, Any]] = {}
        self.receipts: list[dict[str, Any]] = []

    def consent(self, authorization_url: str) -> str:
        """The seller accepts on Etsy: the code is bound to the PKCE challenge and redirect URI."""
        query = dict(parse_qsl(urlsplit(authorization_url).query))
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(20)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
            "client_id": query["client_id"],
        }
        return code

    def sell(self, listing_id: int, *, cancelled: bool = False, when: datetime | None = None) -> int:
        when = when or datetime.now(UTC)
        receipt_id = 3000000000 + next(self.ids)
        stamp = int(when.timestamp())
        self.receipts.append(
            {
                "receipt_id": receipt_id,
                "receipt_type": 0,
                "seller_user_id": self.user_id,
                "buyer_user_id": 4242,
                "name": "Ada Buyer",
                "status": "canceled" if cancelled else "paid",
                "is_paid": True,
                "is_shipped": False,
                "created_timestamp": stamp,
                "create_timestamp": stamp,
                "updated_timestamp": stamp,
                "update_timestamp": stamp,
                "grandtotal": {"amount": 3550, "divisor": 100, "currency_code": "EUR"},
                "transactions": [
                    {
                        "transaction_id": next(self.ids),
                        "listing_id": listing_id,
                        "quantity": 1,
                        "title": self.listings.get(listing_id, {}).get("title", "?"),
                        "receipt_id": receipt_id,
                    }
                ],
            }
        )
        if listing_id in self.listings and not cancelled:
            self.listings[listing_id]["state"] = "sold_out"
        return receipt_id

    def route(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/v3/public/oauth/token":
            return self.token(request)
        if request.headers.get("x-api-key") != f"{ETSY_KEYSTRING}:{ETSY_SECRET}":
            return _json(403, {"error": "Invalid API key: should be keystring:shared_secret"})
        if not self.bearer_ok(request):
            return _json(401, {"error": "invalid_token"})
        v3 = "/v3/application"
        if path == v3 + "/users/me":
            return _json(200, {"user_id": self.user_id, "shop_id": self.shop_id})
        if path == f"{v3}/shops/{self.shop_id}":
            return _json(200, {"shop_id": self.shop_id, "shop_name": "VintageByAda", "user_id": self.user_id})
        if path == f"{v3}/shops/{self.shop_id}/listings" and method == "POST":
            return self.create_listing(request)
        if path == f"{v3}/shops/{self.shop_id}/listings" and method == "GET":
            state = dict(parse_qsl(request.url.query.decode())).get("state", "active")
            found = [dict(v) for v in self.listings.values() if v["state"] == state]
            return _json(200, {"count": len(found), "results": found})
        if m := re.fullmatch(rf"{v3}/shops/{self.shop_id}/listings/(\d+)/images", path):
            return self.upload_image(request, int(m.group(1)))
        if m := re.fullmatch(rf"{v3}/shops/{self.shop_id}/listings/(\d+)/images/(\d+)", path):
            listing = int(m.group(1))
            self.images[listing] = [i for i in self.images.get(listing, []) if i["listing_image_id"] != int(m.group(2))]
            return httpx.Response(204)
        if m := re.fullmatch(rf"{v3}/shops/{self.shop_id}/listings/(\d+)", path):
            return self.update_listing(request, int(m.group(1)))
        if m := re.fullmatch(rf"{v3}/listings/(\d+)/inventory", path):
            listing_id = int(m.group(1))
            if listing_id not in self.listings:
                return _json(404, {"error": "listing not found"})
            body = json.loads(request.content)
            self.inventory[listing_id] = body
            offering = body["products"][0]["offerings"][0]
            money = {"amount": round(offering["price"] * 100), "divisor": 100, "currency_code": "EUR"}
            self.listings[listing_id]["price"] = money
            self.listings[listing_id]["quantity"] = offering["quantity"]
            # The answer shows prices as Money, as every Etsy resource does.
            products = [
                {**product, "offerings": [{**o, "price": money} for o in product["offerings"]]}
                for product in body["products"]
            ]
            return _json(200, {"products": products})
        if m := re.fullmatch(rf"{v3}/listings/(\d+)", path):
            listing_id = int(m.group(1))
            listing = self.listings.get(listing_id)
            if listing is None or listing["state"] == "removed":
                return _json(404, {"error": "listing not found"})
            if method == "DELETE":
                listing["state"] = "removed"
                return httpx.Response(204)
            return _json(200, listing)
        if path == f"{v3}/shops/{self.shop_id}/receipts":
            return self.get_receipts(request)
        if path == f"{v3}/shops/{self.shop_id}/readiness-state-definitions":
            return _json(
                200,
                {
                    "count": 1,
                    "results": [
                        {
                            "shop_id": self.shop_id,
                            "readiness_state_id": 7001,
                            "readiness_state": "ready_to_ship",
                            "min_processing_days": 1,
                            "max_processing_days": 3,
                        }
                    ],
                },
            )
        if path == f"{v3}/shops/{self.shop_id}/shipping-profiles":
            return _json(200, {"count": 1, "results": [{"shipping_profile_id": 9001, "title": "Colissimo"}]})
        if path == f"{v3}/shops/{self.shop_id}/policies/return":
            return _json(200, {"count": 1, "results": [{"return_policy_id": 8001, "accepts_returns": True}]})
        return _json(404, {"error": f"fake Etsy has no {method} {path}"})

    def token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("client_id") != ETSY_KEYSTRING:
            return _json(401, {"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            bound = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if bound is None or bound["redirect_uri"] != form.get("redirect_uri") or bound["challenge"] != challenge:
                return _json(400, {"error": "invalid_grant", "error_description": "code, verifier or redirect"})
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return _json(400, {"error": "invalid_grant", "error_description": "refresh token revoked"})
            self.refresh_tokens.discard(form["refresh_token"])  # rotated: the old one is dead now
            self.refreshes += 1
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        access, refresh = self.new_token(f"{self.user_id}."), self.new_token(f"{self.user_id}.")
        self.access_tokens[access] = datetime.now(UTC) + timedelta(seconds=3600)
        self.refresh_tokens.add(refresh)
        return _json(
            200, {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": refresh}
        )

    def _listing_view(self, listing_id: int) -> dict[str, Any]:
        return self.listings[listing_id]

    def create_listing(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        required = ("quantity", "title", "description", "price", "who_made", "when_made", "taxonomy_id")
        missing = [k for k in required if k not in form]
        if form.get("type", ["physical"])[0] == "physical":
            # Physical listings need a shipping profile and a processing profile (readiness state).
            missing += [k for k in ("shipping_profile_id", "readiness_state_id") if k not in form]
        if missing:
            return _json(400, {"error": f"missing: {', '.join(missing)}"})
        listing_id = 1500000000 + next(self.ids)
        self.listings[listing_id] = {
            "listing_id": listing_id,
            "user_id": self.user_id,
            "shop_id": self.shop_id,
            "title": form["title"][0],
            "description": form["description"][0],
            "state": "draft",
            "quantity": int(form["quantity"][0]),
            "taxonomy_id": int(form["taxonomy_id"][0]),
            "who_made": form["who_made"][0],
            "when_made": form["when_made"][0],
            "tags": form.get("tags", []),
            "materials": form.get("materials", []),
            "shipping_profile_id": int(form["shipping_profile_id"][0]),
            "price": {"amount": round(float(form["price"][0]) * 100), "divisor": 100, "currency_code": "EUR"},
            "url": f"https://www.etsy.com/listing/{listing_id}",
        }
        self.images[listing_id] = []
        return _json(201, self.listings[listing_id])

    def upload_image(self, request: httpx.Request, listing_id: int) -> httpx.Response:
        if listing_id not in self.listings:
            return _json(404, {"error": "listing not found"})
        parts = dict(_multipart(request))
        content = parts.get("image")
        if not isinstance(content, bytes) or not content:
            return _json(400, {"error": "image required"})
        rank = int(str(parts.get("rank", "1")))
        image = {
            "listing_id": listing_id,
            "listing_image_id": 4000000000 + next(self.ids),
            "rank": rank,
            "sha": hashlib.sha256(content).hexdigest()[:12],
            "content": content,
            "alt_text": parts.get("alt_text"),
        }
        images = self.images[listing_id]
        if parts.get("overwrite") == "true":
            images[:] = [i for i in images if i["rank"] != rank]
        images.append(image)
        images.sort(key=lambda i: i["rank"])
        view = {k: v for k, v in image.items() if k not in ("sha", "content")}
        return _json(201, view)

    def update_listing(self, request: httpx.Request, listing_id: int) -> httpx.Response:
        listing = self.listings.get(listing_id)
        if listing is None or listing["state"] == "removed":
            return _json(404, {"error": "listing not found"})
        form = parse_qs(request.content.decode())
        state = form.get("state", [None])[0]
        if state == "active" and not self.images.get(listing_id):
            return _json(400, {"error": "a listing needs at least one image to be active"})
        for key, values in form.items():
            if key in ("tags", "materials"):
                listing[key] = values
            elif key == "type":
                listing["listing_type"] = values[0]  # the resource names it listing_type
            else:
                listing[key] = _typed(values[0])
        return _json(200, listing)

    def get_receipts(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        since = int(query.get("min_last_modified", 0))
        found = sorted(
            (r for r in self.receipts if r["updated_timestamp"] >= since), key=lambda r: r["updated_timestamp"]
        )
        limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
        return _json(200, {"count": len(found), "results": found[offset : offset + limit]})


class FakePhotos:
    """Photo URLs and bytes for our images, without S3: each photo's bytes name its image id."""

    def url(self, image: Any) -> str:
        return f"https://images.stoflow.test/{image.id}.jpg"

    def content(self, image: Any) -> bytes:
        return f"jpeg-bytes-of-image-{image.id}".encode()


@dataclass
class MarketplaceWorld:
    ebay: FakeEbay
    etsy: FakeEtsy
    sleeps: list[float]

    def contract_problems(self) -> list[str]:
        """What the clients sent that the OpenAPI files refuse, and what the fakes answered that
        the real APIs would not (the fakes are held to the same contract)."""
        return [
            *self.ebay.contract_problems,
            *self.etsy.contract_problems,
            *self.ebay.response_problems,
            *self.etsy.response_problems,
        ]


def combined_transport(ebay: FakeEbay, etsy: FakeEtsy) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        return (ebay if "ebay" in request.url.host else etsy).handle(request)

    return httpx.MockTransport(route)


MARKETPLACE_ENV = {
    "STOFLOW_EBAY_CLIENT_ID": EBAY_CLIENT_ID,
    "STOFLOW_EBAY_CLIENT_SECRET": EBAY_CLIENT_SECRET,
    "STOFLOW_EBAY_RU_NAME": EBAY_RU_NAME,
    "STOFLOW_EBAY_ENVIRONMENT": "sandbox",
    "STOFLOW_ETSY_KEYSTRING": ETSY_KEYSTRING,
    "STOFLOW_ETSY_SHARED_SECRET": ETSY_SECRET,
}


@pytest.fixture
def marketplaces(identity: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MarketplaceWorld]:
    """Fake eBay and Etsy behind our clients, app keys configured, a fresh Fernet key, photos
    without S3, and retries that record their waits instead of sleeping."""
    from stoflow.config import get_settings
    from stoflow.marketplaces.common import apps, crypto, http, photos

    for key, value in MARKETPLACE_ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    apps.reset()
    crypto.reset_cipher()
    ebay, etsy = FakeEbay(), FakeEtsy()
    sleeps: list[float] = []
    monkeypatch.setattr(http, "pause", sleeps.append)
    photos.set_photo_source(FakePhotos())
    with http.use_transport(combined_transport(ebay, etsy)):
        yield MarketplaceWorld(ebay, etsy, sleeps)
    photos.set_photo_source(None)
    apps.reset()
    crypto.reset_cipher()


# --- the job system, for real, with a recording queue --------------------------------------------


@dataclass
class JobRunner:
    queue: Any
    registry: Any
    processor: Any

    def run_all(self, limit: int = 100, *, tenant: int | None = None) -> list[tuple[int, str, str, str]]:
        """Process queued messages until none is left: [(job id, marketplace, action, status)].
        With `tenant`, other tenants' messages (earlier tests share the database) are dropped."""
        from stoflow.db.tenancy import tenant_session
        from stoflow.models.jobs import MarketplaceJob

        done: list[tuple[int, str, str, str]] = []
        for _ in range(limit):
            messages = self.queue.take()
            if not messages:
                return done
            for message in messages:
                if tenant is not None and message.tenant_id != tenant:
                    continue
                status = self.processor.process(message)
                with tenant_session(message.tenant_id) as session:
                    job = session.get(MarketplaceJob, message.job_id)
                    action = job.action if job else "?"
                done.append((message.job_id, message.marketplace, action, status))
        raise AssertionError("jobs keep queueing more jobs")


@pytest.fixture
def job_runner(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobRunner]:
    """The real registry (eBay and Etsy handlers, plus whatever Vinted has), a recording queue
    and the real processor."""
    from stoflow.jobs import service
    from stoflow.jobs.processor import MarketplaceJobProcessor, RetryPolicy
    from stoflow.jobs.queue import set_queue
    from stoflow.marketplaces.registry import job_handlers
    from tests.support.jobs import FakeQueue

    registry = job_handlers.__wrapped__()  # a fresh one: tests may add handlers to it
    monkeypatch.setattr(service, "_registry", registry)
    queue = FakeQueue()
    set_queue(queue)
    yield JobRunner(queue, registry, MarketplaceJobProcessor(registry, retry=RetryPolicy(base_s=0.0, max_s=0.0)))
    set_queue(None)


def product_with_photos(
    tenant_id: int,
    *,
    title: str = "Levi's 501 jeans W32",
    price: str = "35.50",
    photos: int = 3,
    label: bool = True,
    sku: str | None = None,
    status: str = "published",
) -> int:
    """A product ready to list: brand, condition, colours, size, materials, photos (and a label
    photo, which must never reach a marketplace)."""
    from decimal import Decimal

    from sqlalchemy import select

    from stoflow.db.tenancy import tenant_session
    from stoflow.models import Brand, Color, Condition, Material, Product, ProductImage, Size

    with tenant_session(tenant_id) as session:
        condition = session.scalars(select(Condition).where(Condition.slug == "very_good")).one()
        brand = session.scalars(select(Brand).order_by(Brand.id)).first()
        colors = list(session.scalars(select(Color).order_by(Color.id).limit(2)))
        size = session.scalars(select(Size).where(Size.label == "M")).first()
        materials = list(session.scalars(select(Material).order_by(Material.id).limit(2)))
        product = Product(
            title=title,
            description=f"{title}, worn a few times.",
            price=Decimal(price),
            currency="EUR",
            status=status,
            condition_id=condition.id,
            brand_id=brand.id if brand else None,
            color_ids=[c.id for c in colors],
            size_id=size.id if size else None,
            material_ids=[m.id for m in materials],
            parcel_weight_g=650,
            sku=sku,
            stock=1,
        )
        session.add(product)
        session.flush()
        for position in range(photos):
            session.add(
                ProductImage(
                    product_id=product.id,
                    status="ready",
                    storage_key=f"p/{product.id}/{position}",
                    position=position,
                    mime_type="image/jpeg",
                    alt_text=f"photo {position}",
                )
            )
        if label:
            session.add(
                ProductImage(
                    product_id=product.id,
                    status="ready",
                    storage_key=f"p/{product.id}/label",
                    position=photos,
                    is_label=True,
                    mime_type="image/jpeg",
                )
            )
        session.flush()
        return product.id


def image_ids(tenant_id: int, product_id: int) -> tuple[list[int], int | None]:
    """(photo ids in display order, label id)."""
    from sqlalchemy import select

    from stoflow.db.tenancy import tenant_session
    from stoflow.models import ProductImage

    with tenant_session(tenant_id) as session:
        rows = list(
            session.scalars(
                select(ProductImage).where(ProductImage.product_id == product_id).order_by(ProductImage.position)
            )
        )
        return [r.id for r in rows if not r.is_label], next((r.id for r in rows if r.is_label), None)


Enqueue = Callable[..., Any]


def connect(world: MarketplaceWorld, token: str, marketplace: str) -> dict[str, Any]:
    """Connect through /marketplaces/{m}/connect and /callback, the seller consenting on the fake."""
    from urllib.parse import quote

    from tests.support.api import caller

    call = caller("marketplaces")
    started = call("GET", f"/marketplaces/{marketplace}/connect", token=token)
    assert started.status == 200, started
    url = started.json["authorization_url"]
    code = world.ebay.consent() if marketplace == "ebay" else world.etsy.consent(url)
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    reply = call("GET", f"/marketplaces/{marketplace}/callback?code={quote(code)}&state={quote(state)}", token=token)
    assert reply.status == 200, reply
    return reply.json
