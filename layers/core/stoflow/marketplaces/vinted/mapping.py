"""Our catalogues -> Vinted's ids. Vinted publishes no catalogue API for sellers: these are the ids
its web upload form uses, kept by our catalogue slugs; anything missing here is refused with a
clear job error rather than guessed."""

from __future__ import annotations

# Our category slug (department-family-type) -> Vinted catalog_id.
CATEGORIES: dict[str, int] = {
    "women-clothing-dresses": 10,
    "women-clothing-tops-and-t-shirts": 12,
    "women-clothing-shirts-and-blouses": 1043,
    "women-clothing-jumpers-and-cardigans": 13,
    "women-clothing-coats-and-jackets": 1037,
    "women-clothing-jeans": 183,
    "women-clothing-trousers": 9,
    "women-clothing-skirts": 11,
    "women-clothing-shorts": 15,
    "women-clothing-jumpsuits": 1035,
    "women-clothing-suits-and-blazers": 8,
    "women-clothing-activewear": 73,
    "women-clothing-swimwear": 28,
    "women-clothing-lingerie-and-nightwear": 29,
    "women-shoes-trainers": 2632,
    "women-shoes-boots": 1049,
    "women-shoes-ankle-boots": 1050,
    "women-shoes-heels": 543,
    "women-shoes-flats-and-ballerinas": 2955,
    "women-shoes-sandals": 2623,
    "women-shoes-loafers-and-moccasins": 2949,
    "women-shoes-espadrilles": 2951,
    "women-accessories-handbags": 156,
    "women-accessories-backpacks": 157,
    "women-accessories-wallets-and-purses": 159,
    "women-accessories-belts": 20,
    "women-accessories-scarves": 90,
    "women-accessories-hats-and-caps": 88,
    "women-accessories-jewellery": 21,
    "women-accessories-watches": 22,
    "women-accessories-sunglasses": 26,
    "women-accessories-gloves": 91,
    "men-clothing-t-shirts-and-polos": 77,
    "men-clothing-shirts": 536,
    "men-clothing-jumpers-and-cardigans": 79,
    "men-clothing-sweatshirts-and-hoodies": 1811,
    "men-clothing-coats-and-jackets": 2051,
    "men-clothing-jeans": 257,
    "men-clothing-trousers": 34,
    "men-clothing-shorts": 80,
    "men-clothing-suits-and-blazers": 32,
    "men-clothing-activewear": 30,
    "men-clothing-swimwear": 84,
    "men-clothing-underwear-and-socks": 85,
    "men-shoes-trainers": 1242,
    "men-shoes-boots": 1233,
    "men-shoes-formal-shoes": 1238,
    "men-shoes-loafers-and-moccasins": 2656,
    "men-shoes-sandals": 2657,
    "men-accessories-bags": 94,
    "men-accessories-backpacks": 246,
    "men-accessories-wallets": 248,
    "men-accessories-belts": 96,
    "men-accessories-ties-and-bow-ties": 2960,
    "men-accessories-hats-and-caps": 86,
    "men-accessories-scarves": 87,
    "men-accessories-watches": 97,
    "men-accessories-sunglasses": 98,
    "men-accessories-jewellery": 95,
}

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
