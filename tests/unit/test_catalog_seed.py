"""The seed data of the catalogues (shared revision s0003): consistent before it reaches a database."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

REVISION = Path(__file__).resolve().parents[2] / "migrations/shared/versions/s0003_catalogues.py"
# eBay Sell Inventory ConditionEnum values (apparel uses the NEW* and PRE_OWNED_*/USED_* ones).
EBAY_CONDITIONS = {
    "NEW",
    "LIKE_NEW",
    "NEW_OTHER",
    "NEW_WITH_DEFECTS",
    "CERTIFIED_REFURBISHED",
    "EXCELLENT_REFURBISHED",
    "VERY_GOOD_REFURBISHED",
    "GOOD_REFURBISHED",
    "SELLER_REFURBISHED",
    "USED_EXCELLENT",
    "USED_VERY_GOOD",
    "USED_GOOD",
    "USED_ACCEPTABLE",
    "FOR_PARTS_OR_NOT_WORKING",
    "PRE_OWNED_EXCELLENT",
    "PRE_OWNED_FAIR",
}
# Vinted item status ids: 6 new with tags, 1 new without tags, 2 very good, 3 good, 4 satisfactory.
VINTED_STATUSES = {1, 2, 3, 4, 6}


@pytest.fixture(scope="module")
def seed():
    spec = importlib.util.spec_from_file_location("s0003_under_test", REVISION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def duplicates(values) -> list:
    return [value for value, count in Counter(values).items() if count > 1]


def test_slugs_and_names_are_unique(seed) -> None:
    assert duplicates(seed.slugify(b) for b in seed.BRANDS) == []
    assert duplicates(r["slug"] for r in seed.category_rows()) == []
    assert duplicates((r["system"], r["label"]) for r in seed.size_rows()) == []
    for names in (seed.MATERIALS, seed.GENDERS, seed.SEASONS, seed.PATTERNS, [c for c, _ in seed.COLORS]):
        assert duplicates(seed.slugify(n) for n in names) == []


def test_the_category_tree_is_three_levels_under_known_parents(seed) -> None:
    rows = {r["id"]: r for r in seed.category_rows()}
    for row in rows.values():
        depth, parent = 0, row["parent_id"]
        while parent is not None:
            assert parent < row["id"] or depth, "a parent is inserted before its children"
            depth, parent = depth + 1, rows[parent]["parent_id"]
        assert depth <= 2
    roots = [r["name"] for r in rows.values() if r["parent_id"] is None]
    assert roots == ["Women", "Men", "Kids"]


def test_every_condition_maps_to_vinted_and_ebay(seed) -> None:
    for slug, _name, _text, vinted, ebay, ebay_id in seed.CONDITIONS:
        assert vinted in VINTED_STATUSES, slug
        assert ebay in EBAY_CONDITIONS, slug
        assert 1000 <= ebay_id <= 7000, slug
    assert {c[0] for c in seed.CONDITIONS} >= {"new_with_tags", "new_without_tags", "very_good", "good", "satisfactory"}


def test_sizes_cover_every_system_resellers_use(seed) -> None:
    systems = {r["system"] for r in seed.size_rows()}
    assert systems >= {"letter", "eu", "uk", "us", "shoe_eu", "shoe_uk", "shoe_us", "one_size"}
    labels = {(r["system"], r["label"]) for r in seed.size_rows()}
    assert {("letter", "M"), ("eu", "38"), ("shoe_eu", "42.5"), ("shoe_uk", "8"), ("us", "6")} <= labels


def test_colors_have_valid_hex(seed) -> None:
    for name, hex_value in seed.COLORS:
        assert hex_value is None or (len(hex_value) == 7 and int(hex_value[1:], 16) >= 0), name
