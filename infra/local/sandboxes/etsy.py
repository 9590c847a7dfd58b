"""The Etsy sandbox: OAuth 2 with PKCE (the consent page with Approve / Deny, the token and
refresh endpoints, refresh tokens rotated on every use), the user and shop, shipping and
processing (readiness state) profiles, return policies, draft listings, images, inventory,
activate / deactivate (updateListing state) and receipts, keeping state and refusing what Etsy
refuses: a wrong API key, a reused code, a wrong PKCE verifier, an old refresh token, a physical
listing without shipping or processing profile, activating a listing without an image, and,
through `fail_for`, 429 with Retry-After or 503.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx

from infra.local.sandboxes.base import ApiSandbox, html_response, json_response, page, redirect
from infra.local.sandboxes.contracts import multipart

KEYSTRING = "etsysandboxkeystring"
SHARED_SECRET = "etsysandboxsecret"  # noqa: S105 - the sandbox's own made-up app key
TOKEN_PATH = "/v3/public/oauth/token"  # noqa: S105 - a path
CONSENT_PATH = "/oauth/connect"
# Etsy taxonomy nodes from this id on are unknown to the sandbox (a 404, as Etsy answers).
UNKNOWN_TAXONOMY_FROM = 20_000


def _typed(raw: str) -> Any:
    """A form value as the resource holds it (Etsy answers with typed JSON)."""
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if re.fullmatch(r"-?\d+\.\d+", raw):
        return float(raw)
    return raw


class EtsySandbox(ApiSandbox):
    marketplace = "etsy"
    user_id = 77001234
    shop_id = 55501234

    unchecked_paths = frozenset({TOKEN_PATH, CONSENT_PATH})
    persisted = (*ApiSandbox.persisted, "listings", "images", "inventory", "receipts")

    def __init__(
        self,
        *,
        keystring: str = KEYSTRING,
        shared_secret: str = SHARED_SECRET,
        redirect_uris: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.keystring, self.shared_secret = keystring, shared_secret
        # The callback URLs registered for the app (None: any).
        self.redirect_uris = redirect_uris
        self.codes: dict[str, dict[str, str]] = {}
        self.listings: dict[int, dict[str, Any]] = {}
        self.images: dict[int, list[dict[str, Any]]] = {}
        self.inventory: dict[int, dict[str, Any]] = {}
        self.receipts: list[dict[str, Any]] = []

    # --- what the seller does on Etsy's own pages -----------------------------------------------

    def consent(self, authorization_url: str) -> str:
        """The seller accepts on Etsy: the code is bound to the PKCE challenge and redirect URI."""
        query = dict(parse_qsl(urlsplit(authorization_url).query))
        assert query["code_challenge_method"] == "S256"
        return self._code(query)

    def _code(self, query: dict[str, str]) -> str:
        code = secrets.token_urlsafe(20)
        with self.lock:
            self.codes[code] = {
                "challenge": query["code_challenge"],
                "redirect_uri": query["redirect_uri"],
                "client_id": query["client_id"],
            }
        return code

    def is_page(self, request: httpx.Request) -> bool:
        return request.url.path == CONSENT_PATH

    def consent_page(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        if request.method == "POST":
            query.update(dict(parse_qsl(request.content.decode())))
        problems = []
        if query.get("client_id") != self.keystring:
            problems.append("unknown client_id")
        if query.get("response_type") != "code":
            problems.append("response_type must be code")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("PKCE with code_challenge_method=S256 is required")
        if not query.get("state"):
            problems.append("no state")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri or (self.redirect_uris is not None and redirect_uri not in self.redirect_uris):
            problems.append("redirect_uri is not registered for this app")
        if problems:
            return html_response(
                400, page("Etsy: invalid request", f"<h1>Invalid request</h1><p>{'; '.join(problems)}</p>")
            )
        if request.method == "GET":
            keep = "".join(
                f'<input type=hidden name="{k}" value="{html.escape(v, quote=True)}">'
                for k, v in query.items()
                if k
                in (
                    "client_id",
                    "redirect_uri",
                    "response_type",
                    "scope",
                    "state",
                    "code_challenge",
                    "code_challenge_method",
                )
            )
            scopes = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in query.get("scope", "").split())
            body = (
                "<h1>Etsy: allow access</h1>"
                f"<p>StoFlow would like to access the shop <b>VintageByAda</b>:</p><ul>{scopes}</ul>"
                f"<form method=post>{keep}<button name=decision value=approve id=approve>Allow access</button>"
                "<button name=decision value=deny id=deny>Deny</button></form>"
            )
            return html_response(200, page("Etsy: allow access", body))
        sep = "&" if "?" in redirect_uri else "?"
        if query.get("decision") == "approve":
            return redirect(redirect_uri + sep + urlencode({"code": self._code(query), "state": query["state"]}))
        return redirect(
            redirect_uri
            + sep
            + urlencode({"error": "access_denied", "error_description": "denied", "state": query["state"]})
        )

    def sell(self, listing_id: int, *, cancelled: bool = False, when: datetime | None = None) -> int:
        """A buyer pays for the listing: a receipt appears in getShopReceipts."""
        when = when or self.clock()
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

    def find_listing(self, listing: str) -> int | None:
        """A listing id, or the SKU an inventory holds: the listing it names."""
        with self.lock:
            if listing.isdigit() and int(listing) in self.listings:
                return int(listing)
            for listing_id, inventory in self.inventory.items():
                if any(p.get("sku") == listing for p in inventory.get("products", [])):
                    return listing_id
            return None

    def remove_listing(self, listing_id: int) -> bool:
        """Etsy takes a listing down on its own: it is no longer active."""
        with self.lock:
            listing = self.listings.get(listing_id)
            if listing is None or listing["state"] != "active":
                return False
            listing["state"] = "inactive"
            return True

    def listings_view(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"listing_id": k, "state": v["state"], "title": v["title"], "images": len(self.images.get(k, []))}
                for k, v in self.listings.items()
            ]

    # --- the API --------------------------------------------------------------------------------

    def contract_error(self, problems: list[str]) -> httpx.Response:
        return json_response(
            400, {"error": "The request does not match the API contract: " + "; ".join(problems)[:1500]}
        )

    def outage_response(self, status: int, retry_after_s: int) -> httpx.Response:
        message = "You have exceeded your quota" if status == 429 else "Service unavailable"
        return json_response(status, {"error": message}, {"Retry-After": str(retry_after_s)})

    def route(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == CONSENT_PATH:
            return self.consent_page(request)
        if path == TOKEN_PATH:
            return self.token(request)
        if request.headers.get("x-api-key") != f"{self.keystring}:{self.shared_secret}":
            return json_response(403, {"error": "Invalid API key: should be keystring:shared_secret"})
        if m := re.fullmatch(r"/v3/application/seller-taxonomy/nodes/(\d+)/properties", path):
            return self.taxonomy_properties(int(m.group(1)))  # the app's key alone: no seller's token
        if not self.bearer_ok(request):
            return json_response(401, {"error": "invalid_token"})
        v3 = "/v3/application"
        if path == v3 + "/users/me":
            return json_response(200, {"user_id": self.user_id, "shop_id": self.shop_id})
        if path == f"{v3}/shops/{self.shop_id}":
            return json_response(200, {"shop_id": self.shop_id, "shop_name": "VintageByAda", "user_id": self.user_id})
        if path == f"{v3}/shops/{self.shop_id}/listings" and method == "POST":
            return self.create_listing(request)
        if path == f"{v3}/shops/{self.shop_id}/listings" and method == "GET":
            state = dict(parse_qsl(request.url.query.decode())).get("state", "active")
            found = [dict(v) for v in self.listings.values() if v["state"] == state]
            return json_response(200, {"count": len(found), "results": found})
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
                return json_response(404, {"error": "listing not found"})
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
            return json_response(200, {"products": products})
        if m := re.fullmatch(rf"{v3}/listings/(\d+)", path):
            listing_id = int(m.group(1))
            listing = self.listings.get(listing_id)
            if listing is None or listing["state"] == "removed":
                return json_response(404, {"error": "listing not found"})
            if method == "DELETE":
                listing["state"] = "removed"
                return httpx.Response(204)
            return json_response(200, listing)
        if path == f"{v3}/shops/{self.shop_id}/receipts":
            return self.get_receipts(request)
        if path == f"{v3}/shops/{self.shop_id}/readiness-state-definitions":
            return json_response(
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
            return json_response(200, {"count": 1, "results": [{"shipping_profile_id": 9001, "title": "Colissimo"}]})
        if path == f"{v3}/shops/{self.shop_id}/policies/return":
            return json_response(200, {"count": 1, "results": [{"return_policy_id": 8001, "accepts_returns": True}]})
        return json_response(404, {"error": f"the Etsy sandbox has no {method} {path}"})

    def taxonomy_properties(self, taxonomy_id: int) -> httpx.Response:
        """getPropertiesByTaxonomyId. Etsy's seller taxonomy numbers its nodes below 20,000 (ours
        come from it); past that the node is unknown, as Etsy answers for a node it does not have.
        The properties every clothing, shoe and accessory node has: colours, none required."""
        if taxonomy_id >= UNKNOWN_TAXONOMY_FROM:
            return json_response(404, {"error": f"Taxonomy with id {taxonomy_id} not found"})
        colours = [
            {"value_id": value_id, "name": name, "scale_id": None, "equal_to": []}
            for value_id, name in ((1, "Beige"), (2, "Black"), (3, "Blue"), (5, "Brown"), (9, "Green"), (14, "Red"))
        ]
        results = [
            {
                "property_id": property_id,
                "name": name,
                "display_name": display,
                "scales": [],
                "is_required": False,
                "supports_attributes": True,
                "supports_variations": True,
                "is_multivalued": False,
                "max_values_allowed": None,
                "possible_values": colours,
                "selected_values": [],
            }
            for property_id, name, display in (
                (200, "color", "Primary color"),
                (52047899002, "secondary_color", "Secondary color"),
            )
        ]
        return json_response(200, {"count": len(results), "results": results})

    def token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("client_id") != self.keystring:
            return json_response(401, {"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            bound = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if bound is None or bound["redirect_uri"] != form.get("redirect_uri") or bound["challenge"] != challenge:
                return json_response(400, {"error": "invalid_grant", "error_description": "code, verifier or redirect"})
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return json_response(400, {"error": "invalid_grant", "error_description": "refresh token revoked"})
            self.refresh_tokens.discard(form["refresh_token"])  # rotated: the old one is dead now
            self.refreshes += 1
        else:
            return json_response(400, {"error": "unsupported_grant_type"})
        access, refresh = self.issue_access_token(f"{self.user_id}.", 3600), self.new_token(f"{self.user_id}.")
        self.refresh_tokens.add(refresh)
        return json_response(
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
            return json_response(400, {"error": f"missing: {', '.join(missing)}"})
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
        return json_response(201, self.listings[listing_id])

    def upload_image(self, request: httpx.Request, listing_id: int) -> httpx.Response:
        if listing_id not in self.listings:
            return json_response(404, {"error": "listing not found"})
        parts = dict(multipart(request))
        content = parts.get("image")
        if not isinstance(content, bytes) or not content:
            return json_response(400, {"error": "image required"})
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
        return json_response(201, view)

    def update_listing(self, request: httpx.Request, listing_id: int) -> httpx.Response:
        listing = self.listings.get(listing_id)
        if listing is None or listing["state"] == "removed":
            return json_response(404, {"error": "listing not found"})
        form = parse_qs(request.content.decode())
        state = form.get("state", [None])[0]
        if state == "active" and not self.images.get(listing_id):
            return json_response(400, {"error": "a listing needs at least one image to be active"})
        for key, values in form.items():
            if key in ("tags", "materials"):
                listing[key] = values
            elif key == "type":
                listing["listing_type"] = values[0]  # the resource names it listing_type
            else:
                listing[key] = _typed(values[0])
        return json_response(200, listing)

    def get_receipts(self, request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        since = int(query.get("min_last_modified", 0))
        found = sorted(
            (r for r in self.receipts if r["updated_timestamp"] >= since), key=lambda r: r["updated_timestamp"]
        )
        limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
        return json_response(200, {"count": len(found), "results": found[offset : offset + limit]})
