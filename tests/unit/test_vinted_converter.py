"""The Vinted converter's pure rules: catalogue mapping, price rules, titles, colors, sizes."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from stoflow.jobs.errors import PermanentJobError
from stoflow.marketplaces.vinted.converter import CatalogView, PriceRule, build_item


def product(**fields):
    base = {
        "title": "Robe fleurie en coton",
        "description": "Portée deux fois.",
        "price": Decimal("25.00"),
        "currency": "EUR",
        "parcel_weight_g": None,
        "measurements": {},
    }
    return SimpleNamespace(**{**base, **fields})


VIEW = CatalogView(
    category_slug="women-clothing-dresses",
    color_slugs=("black", "white", "red"),
    size=("letter", "M"),
    vinted_status_id=2,
    brand_name="Zara",
    catalog_id=10,
)


def test_mapped_item():
    item = build_item(product(), VIEW)
    assert item == {
        "title": "Robe fleurie en coton",
        "description": "Portée deux fois.",
        "price": 25.0,
        "currency": "EUR",
        "catalog_id": 10,
        "status_id": 2,
        "brand_id": None,
        "brand": "Zara",
        "size_id": 4,
        "color_ids": [1, 12],
        "material_ids": [],
        "package_size_id": 1,
        "is_unisex": False,
    }


def test_sizes_follow_the_department_and_measurements_are_kept():
    men = CatalogView("men-clothing-jeans", (), ("letter", "M"), 3, None, 257)
    item = build_item(product(measurements={"length": 101.6, "waist": 40}, parcel_weight_g=1500), men)
    assert (item["catalog_id"], item["size_id"], item["package_size_id"]) == (257, 208, 2)
    assert (item["measurement_length"], item["measurement_width"]) == (102, 40)
    unknown_size = build_item(product(), CatalogView("women-clothing-dresses", (), ("kids", "3 Y"), 2, None, 10))
    assert unknown_size["size_id"] is None


@pytest.mark.parametrize(
    ("rule", "base", "expected"),
    [
        (PriceRule(), Decimal("19.999"), 20.0),
        (PriceRule(markup_percent=Decimal(10)), Decimal("25"), 27.5),
        (PriceRule(markup_percent=Decimal(10), rounding="whole"), Decimal("25"), 28.0),
        (PriceRule(price=Decimal("12.345")), None, 12.35),
    ],
)
def test_price_rules(rule, base, expected):
    assert build_item(product(price=base), VIEW, rule)["price"] == expected


def test_price_rules_from_params_and_their_limits():
    assert PriceRule.from_params({"markup_percent": "15", "rounding": "whole"}).markup_percent == 15
    for params in ({"markup_percent": "lots"}, {"markup_percent": 1000}, {"rounding": "banker"}):
        with pytest.raises(PermanentJobError):
            PriceRule.from_params(params)
    with pytest.raises(PermanentJobError, match="price"):
        build_item(product(price=None), VIEW)
    with pytest.raises(PermanentJobError):
        build_item(product(price=Decimal("0.50")), VIEW)


def test_titles_and_descriptions_fit_vinted():
    long_title = "Magnifique " + "robe " * 40
    item = build_item(product(title=long_title, description=""), VIEW)
    assert len(item["title"]) <= 100 and not item["title"].endswith(" ")
    assert item["description"] == item["title"]
    with pytest.raises(PermanentJobError) as refused:
        build_item(product(title="Rob"), VIEW)
    assert refused.value.code == "vinted_title_too_short"


def test_unmapped_catalogues_are_refused_not_guessed():
    with pytest.raises(PermanentJobError) as no_category:
        build_item(product(), CatalogView("kids-shoes-baby-shoes", (), None, 2, None))
    assert no_category.value.code == "vinted_unmapped_category"
    with pytest.raises(PermanentJobError) as no_condition:
        build_item(product(), CatalogView("women-clothing-dresses", (), None, None, None, 10))
    assert no_condition.value.code == "vinted_unmapped_condition"


@pytest.mark.parametrize(
    "text",
    [
        "Also on eBay for less",
        "Voir mon shop etsy",
        "More photos: https://example.org/dress",
        "Contact me on www.mysite.fr",
        "dispo sur leboncoin",
    ],
)
def test_a_description_pointing_elsewhere_is_refused_not_edited(text):
    with pytest.raises(PermanentJobError) as refused:
        build_item(product(description=text), VIEW)
    assert refused.value.code == "vinted_description_points_elsewhere"


def test_an_ordinary_description_passes():
    assert (
        build_item(product(description="Taille M, coton, portée deux fois. 52 cm aisselle."), VIEW)["catalog_id"] == 10
    )
