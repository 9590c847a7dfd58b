"""Our catalogues -> Vinted's ids. Vinted publishes no catalogue API for sellers: these are the ids
its web upload form uses, kept by our catalogue slugs; anything missing here is refused with a
clear job error rather than guessed. Category -> catalog id is data, with every marketplace's
(product_attributes.category_marketplace_ids, migration s0012)."""

from __future__ import annotations

# Our color slug -> Vinted color id (Vinted takes at most two).
COLORS: dict[str, int] = {
    "black": 1,
    "brown": 2,
    "grey": 3,
    "beige": 4,
    "pink": 5,
    "purple": 6,
    "red": 7,
    "yellow": 8,
    "blue": 9,
    "green": 10,
    "orange": 11,
    "white": 12,
    "silver": 13,
    "gold": 14,
    "multicolour": 15,
    "khaki": 16,
    "turquoise": 17,
    "cream": 20,
    "coral": 22,
    "burgundy": 23,
    "lilac": 25,
    "light-blue": 26,
    "navy": 27,
    "mustard": 29,
    "mint": 30,
    "camel": 2,
    "ecru": 20,
    "olive": 16,
    "fuchsia": 5,
}

# (size system, label, department) -> Vinted size id; departments differ on Vinted.
SIZES: dict[tuple[str, str, str], int] = {
    **{
        ("letter", label, "women"): vid
        for label, vid in {
            "XXS": 1226,
            "XS": 2,
            "S": 3,
            "M": 4,
            "L": 5,
            "XL": 6,
            "XXL": 7,
            "3XL": 310,
            "4XL": 311,
        }.items()
    },
    **{
        ("letter", label, "men"): vid
        for label, vid in {
            "XS": 206,
            "S": 207,
            "M": 208,
            "L": 209,
            "XL": 210,
            "XXL": 211,
            "3XL": 212,
            "4XL": 308,
        }.items()
    },
    **{
        ("eu", str(eu), "women"): vid
        for eu, vid in {32: 1226, 34: 2, 36: 3, 38: 4, 40: 5, 42: 6, 44: 7, 46: 310, 48: 311}.items()
    },
    **{("shoe_eu", f"{n / 2:g}", "women"): 55 + (n - 70) for n in range(70, 86)},
    **{("shoe_eu", f"{n / 2:g}", "men"): 776 + (n - 78) for n in range(78, 97)},
    ("one_size", "One size", "women"): 1000,
    ("one_size", "One size", "men"): 1001,
}

# Vinted's parcel sizes: small, medium, large.
PACKAGE_SMALL, PACKAGE_MEDIUM, PACKAGE_LARGE = 1, 2, 3
