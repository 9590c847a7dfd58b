"""Converters: what each marketplace accepts, decided before any call."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stoflow.jobs.errors import PermanentJobError
from stoflow.marketplaces.ebay.converter import EbayListingDraft, OfferSettings, location_body, offer_body
from stoflow.marketplaces.ebay.orders import format_time, order_record
from stoflow.marketplaces.etsy.converter import clean_materials, clean_tags
from stoflow.marketplaces.etsy.orders import money, receipt_record

DRAFT = EbayListingDraft(sku="S", item={}, price=Decimal("7.5"), currency="EUR", quantity=1, description="d", title="t")
SETTINGS = OfferSettings("EBAY_FR", "11483", "loc", "f", "p", "r")


def test_offer_bodies_for_create_and_for_update():
    created = offer_body(DRAFT, SETTINGS)
    assert (created["sku"], created["marketplaceId"], created["format"]) == ("S", "EBAY_FR", "FIXED_PRICE")
    assert created["pricingSummary"]["price"] == {"value": "7.50", "currency": "EUR"}
    updated = offer_body(DRAFT, SETTINGS, for_update=True)
    assert not {"sku", "marketplaceId", "format"} & set(updated)  # an offer cannot change them
    assert updated["listingPolicies"] == created["listingPolicies"]


def test_a_location_needs_a_country_and_a_postcode_or_city():
    assert location_body({"country": "FR", "city": "Lyon"})["location"]["address"] == {"country": "FR", "city": "Lyon"}
    with pytest.raises(PermanentJobError) as caught:
        location_body({"city": "Lyon"})
    assert caught.value.code == "ebay_location_missing"


def test_etsy_tags_and_materials_follow_etsy_rules():
    assert clean_materials(["Coton (bio)", "Polyester/élasthanne", "!!"]) == ["Coton bio", "Polyester élasthanne"]
    tags = clean_tags(["Levi's", "levi's", "Jeans & denim", "a" * 30, *[f"t{i}" for i in range(20)]])
    assert tags[:3] == ["Levi's", "Jeans denim", "a" * 20] and len(tags) == 13


def test_order_records():
    assert format_time(datetime(2026, 11, 22, 3, 4, 5, 678900, tzinfo=UTC)) == "2026-11-22T03:04:05.678Z"
    record = order_record(
        {
            "orderId": "12-1",
            "creationDate": "2026-11-20T10:00:00.000Z",
            "lastModifiedDate": "2026-11-21T10:00:00.000Z",
            "orderFulfillmentStatus": "FULFILLED",
            "cancelStatus": {"cancelState": "CANCELED"},
            "pricingSummary": {"total": {"value": "12.30", "currency": "EUR"}},
            "lineItems": [{"sku": "A", "quantity": 2, "title": "x"}, {"legacyItemId": "99", "title": "y"}],
        },
        {"A": 5},
    )
    assert (record.cancelled, record.total, [line.product_id for line in record.lines]) == (
        True,
        Decimal("12.30"),
        [5, None],
    )
    assert money({"amount": 1999, "divisor": 100, "currency_code": "USD"}) == (Decimal("19.99"), "USD")
    receipt = receipt_record(
        {
            "receipt_id": 7,
            "status": "Canceled",
            "created_timestamp": 1763000000,
            "transactions": [{"listing_id": 3, "quantity": 1}],
        },
        {3: 9},
    )
    assert (receipt.cancelled, receipt.lines[0].product_id) == (True, 9)
