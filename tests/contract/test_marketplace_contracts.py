"""Every request our eBay and Etsy clients can send, checked against the official OpenAPI files:
path and method, path and query parameters, required headers and credentials, body media type,
field names and types. And the checker itself: it does catch each kind of mistake."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from infra.local.sandboxes.contracts import check_request, spec_for
from stoflow.marketplaces.common.apps import EtsyAppKeys
from stoflow.marketplaces.common.http import MarketplaceHttp
from stoflow.marketplaces.common.tokens import StaticTokens
from stoflow.marketplaces.ebay.client import EbayClient
from stoflow.marketplaces.ebay.converter import EbayListingDraft, OfferSettings, location_body, offer_body
from stoflow.marketplaces.etsy.client import EtsyClient
from stoflow.marketplaces.etsy.converter import EtsyListingDraft, inventory_body, update_fields

ANSWER = {
    "offerId": "1",
    "listingId": "2",
    "offers": [],
    "inventoryItems": [],
    "orders": [],
    "results": [],
    "listing_id": 3,
    "listing_image_id": 4,
    "fulfillmentPolicies": [],
    "paymentPolicies": [],
    "returnPolicies": [],
}


def recording(marketplace):
    sent: list[httpx.Request] = []

    def handle(request):
        request.read()
        sent.append(request)
        return httpx.Response(201 if request.method == "POST" else 200, json=ANSWER)

    base = "https://api.sandbox.ebay.com" if marketplace == "ebay" else "https://openapi.etsy.com"
    return MarketplaceHttp(marketplace, base, transport=httpx.MockTransport(handle)), sent


def problems(marketplace, sent):
    found = []
    for request in sent:
        spec = spec_for(marketplace, request.url.path)
        assert spec is not None, f"{request.method} {request.url.path} is in no OpenAPI file"
        found += check_request(spec, request)
    return found


DRAFT = EbayListingDraft(
    sku="SKU-1",
    price=Decimal("19.90"),
    currency="EUR",
    quantity=1,
    description="d",
    title="t",
    item={
        "availability": {"shipToLocationAvailability": {"quantity": 1}},
        "condition": "USED_EXCELLENT",
        "product": {
            "title": "t",
            "description": "d",
            "aspects": {"Marque": ["Levi's"]},
            "brand": "Levi's",
            "imageUrls": ["https://i.test/1.jpg"],
        },
        "packageWeightAndSize": {"weight": {"value": 650.0, "unit": "GRAM"}},
    },
)
SETTINGS = OfferSettings("EBAY_FR", "11483", "stoflow-default", "1", "2", "3")


def test_every_ebay_request_matches_the_official_contract():
    http, sent = recording("ebay")
    client = EbayClient(http, StaticTokens("ebay", "access"))
    client.put_inventory_item("SKU-1", DRAFT.item)
    client.get_inventory_item("SKU-1")
    client.get_inventory_items(limit=100, offset=0)
    client.delete_inventory_item("SKU-1")
    client.get_offers("SKU-1", "EBAY_FR")
    client.create_offer(offer_body(DRAFT, SETTINGS))
    client.update_offer("1", offer_body(DRAFT, SETTINGS, for_update=True))
    client.publish_offer("1")
    client.withdraw_offer("1")
    client.delete_offer("1")
    client.get_location("stoflow-default")
    client.create_location("stoflow-default", location_body({"country": "FR", "postalCode": "75011"}))
    for kind in ("fulfillment", "payment", "return"):
        client.get_policies(kind, "EBAY_FR")
    client.get_orders(modified_since="2026-11-01T00:00:00.000Z", limit=50, offset=0)
    assert len(sent) == 16
    assert problems("ebay", sent) == []


def test_every_etsy_request_matches_the_official_contract():
    http, sent = recording("etsy")
    client = EtsyClient(http, StaticTokens("etsy", "1.access"), EtsyAppKeys("key", "secret"))
    draft = EtsyListingDraft(
        fields={
            "quantity": 1,
            "title": "Jeans",
            "description": "d",
            "price": 19.9,
            "who_made": "someone_else",
            "when_made": "2020_2025",
            "taxonomy_id": 2825,
            "shipping_profile_id": 9001,
            "return_policy_id": None,
            "readiness_state_id": 7001,
            "materials": ["Cotton"],
            "tags": ["Levis", "Blue"],
            "is_supply": False,
            "type": "physical",
            "item_weight": 650.0,
            "item_weight_unit": "g",
        },
        price=Decimal("19.90"),
        quantity=1,
        photos=[],
        sku="SKU-1",
        readiness_state_id=7001,
    )
    client.get_me()
    client.get_shop(55)
    client.create_draft_listing(55, draft.fields)
    client.upload_listing_image(55, 3, b"\xff\xd8jpeg", filename="photo-1.jpg", rank=1, alt_text="front")
    client.upload_listing_image(55, 3, b"\xff\xd8jpeg", filename="photo-2.jpg", rank=2, overwrite=True)
    client.update_listing(55, 3, update_fields(draft))
    client.update_listing(55, 3, {"state": "active"})
    client.update_inventory(3, inventory_body(draft))
    client.get_listing(3)
    client.delete_listing_image(55, 3, 4)
    client.delete_listing(3)
    client.get_shop_receipts(55, min_last_modified=1_763_000_000, limit=100, offset=0)
    client.get_shipping_profiles(55)
    client.get_readiness_states(55)
    client.get_return_policies(55)
    assert len(sent) == 15
    assert all(r.headers["x-api-key"] == "key:secret" for r in sent)
    assert problems("etsy", sent) == []


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            httpx.Request(
                "PUT",
                "https://api.ebay.com/sell/inventory/v1/inventory_item/S",
                json={"product": {"titel": "x"}},
                headers={"Authorization": "Bearer t", "Content-Language": "fr"},
            ),
            "'titel' was unexpected",
        ),
        (
            httpx.Request(
                "PUT",
                "https://api.ebay.com/sell/inventory/v1/inventory_item/S",
                json={"availability": {"shipToLocationAvailability": {"quantity": "one"}}},
                headers={"Authorization": "Bearer t", "Content-Language": "fr"},
            ),
            "is not of type 'integer'",
        ),
        (
            httpx.Request(
                "PUT",
                "https://api.ebay.com/sell/inventory/v1/inventory_item/S",
                json={},
                headers={"Authorization": "Bearer t"},
            ),
            "required header 'Content-Language' missing",
        ),
        (
            httpx.Request(
                "GET", "https://api.ebay.com/sell/account/v1/return_policy", headers={"Authorization": "Bearer t"}
            ),
            "required query parameter 'marketplace_id' missing",
        ),
        (
            httpx.Request(
                "GET", "https://api.ebay.com/sell/fulfillment/v1/order?since=1", headers={"Authorization": "Bearer t"}
            ),
            "query parameter 'since' is not declared",
        ),
        (
            httpx.Request(
                "POST",
                "https://api.ebay.com/sell/inventory/v1/offer/1/unpublish",
                headers={"Authorization": "Bearer t"},
            ),
            "no such operation",
        ),
        (
            httpx.Request(
                "POST",
                "https://openapi.etsy.com/v3/application/shops/5/listings",
                json={"title": "x"},
                headers={"Authorization": "Bearer t", "x-api-key": "k:s"},
            ),
            "media type 'application/json' not in",
        ),
        (
            httpx.Request(
                "POST",
                "https://openapi.etsy.com/v3/application/shops/5/listings",
                data={
                    "title": "x",
                    "quantity": "1",
                    "description": "d",
                    "price": "cheap",
                    "who_made": "i_did",
                    "when_made": "made_to_order",
                    "taxonomy_id": "1",
                },
                headers={"Authorization": "Bearer t", "x-api-key": "k:s"},
            ),
            "'cheap' is not of type 'number'",
        ),
        (
            httpx.Request(
                "POST",
                "https://openapi.etsy.com/v3/application/shops/5/listings",
                data={"title": "x", "quantity": "1"},
                headers={"Authorization": "Bearer t", "x-api-key": "k:s"},
            ),
            "'description' is a required property",
        ),
        (
            httpx.Request(
                "GET",
                "https://openapi.etsy.com/v3/application/shops/abc/receipts",
                headers={"Authorization": "Bearer t", "x-api-key": "k:s"},
            ),
            "path shop_id",
        ),
        (
            httpx.Request(
                "GET", "https://openapi.etsy.com/v3/application/users/me", headers={"Authorization": "Bearer t"}
            ),
            "credentials missing",
        ),
        (
            httpx.Request(
                "PATCH",
                "https://openapi.etsy.com/v3/application/shops/5/listings/9",
                data={"state": "active", "tags": ["a"], "when_made": "1066"},
                headers={"Authorization": "Bearer t", "x-api-key": "k:s"},
            ),
            "'1066' is not one of",
        ),
    ],
)
def test_the_checker_catches_each_kind_of_mistake(request_, expected):
    spec = spec_for("ebay" if "ebay" in request_.url.host else "etsy", request_.url.path)
    assert spec is not None
    found = check_request(spec, request_)
    assert any(expected in problem for problem in found), found
