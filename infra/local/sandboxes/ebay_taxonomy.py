"""The eBay sandbox's category data: the category trees of the sites we list on, the categories
our mapping uses (same ids on each site), and what the Taxonomy API says of each: its item
aspects, required or recommended, with their modes, cardinality and allowed values, named in the
site's language. Shapes follow the Taxonomy API's AspectMetadata and CategorySuggestionResponse.

Required aspects, as in eBay's fashion categories: Brand everywhere; Size in clothing and
shoes; Size Type in women's and men's clothing except the categories where eBay does not ask it.
"""

from __future__ import annotations

from typing import Any

# site -> (category tree id, tree version)
TREES = {"EBAY_US": ("0", "130"), "EBAY_GB": ("3", "126"), "EBAY_DE": ("77", "127"), "EBAY_FR": ("71", "125")}
# category id -> (name, kind); kind decides the aspects.
CATEGORIES: dict[str, tuple[str, str]] = {
    "63861": ("Women's Dresses", "women"),
    "53159": ("Women's Tops", "women"),
    "63866": ("Women's Sweaters", "women"),
    "63862": ("Women's Coats, Jackets & Vests", "women"),
    "11554": ("Women's Jeans", "women"),
    "63863": ("Women's Pants", "women"),
    "63864": ("Women's Skirts", "women"),
    "11555": ("Women's Shorts", "women"),
    "3009": ("Women's Jumpsuits & Rompers", "women"),
    "63865": ("Women's Suits & Suit Separates", "women"),
    "137085": ("Women's Activewear", "women"),
    "63867": ("Women's Swimwear", "women"),
    "63855": ("Women's Sleepwear & Robes", "women"),
    "95672": ("Women's Athletic Shoes", "shoes"),
    "53557": ("Women's Boots", "shoes"),
    "55793": ("Women's Heels", "shoes"),
    "45333": ("Women's Flats", "shoes"),
    "62107": ("Women's Sandals", "shoes"),
    "169291": ("Women's Bags & Handbags", "accessories"),
    "45258": ("Women's Wallets", "accessories"),
    "3003": ("Women's Belts", "accessories"),
    "45238": ("Women's Scarves & Wraps", "accessories"),
    "45220": ("Women's Hats", "accessories"),
    "155101": ("Necklaces & Pendants", "accessories"),
    "31387": ("Wristwatches", "accessories"),
    "45246": ("Women's Sunglasses", "accessories"),
    "105559": ("Women's Gloves & Mittens", "accessories"),
    "15687": ("Men's T-Shirts", "men"),
    "57990": ("Men's Casual Button-Down Shirts", "men"),
    "11484": ("Men's Sweaters", "men"),
    "155183": ("Men's Sweats & Hoodies", "men"),
    "57988": ("Men's Coats & Jackets", "men"),
    "11483": ("Men's Jeans", "men_plain"),
    "57989": ("Men's Pants", "men"),
    "15689": ("Men's Shorts", "men"),
    "3001": ("Men's Suits & Suit Separates", "men"),
    "137084": ("Men's Activewear", "men"),
    "15690": ("Men's Swimwear", "men"),
    "11507": ("Men's Underwear", "men"),
    "15709": ("Men's Athletic Shoes", "shoes"),
    "11498": ("Men's Boots", "shoes"),
    "53120": ("Men's Dress Shoes", "shoes"),
    "24087": ("Men's Casual Shoes", "shoes"),
    "11504": ("Men's Sandals", "shoes"),
    "169285": ("Men's Bags", "accessories"),
    "2996": ("Men's Wallets", "accessories"),
    "2993": ("Men's Belts", "accessories"),
    "15662": ("Men's Ties", "accessories"),
    "52365": ("Men's Hats", "accessories"),
    "45239": ("Men's Scarves", "accessories"),
    "79720": ("Men's Sunglasses", "accessories"),
    "137843": ("Men's Jewelry", "accessories"),
    "260018": ("Baby & Toddler Clothing", "kids"),
    "11462": ("Girls' Clothing (Sizes 4 & Up)", "kids"),
    "11452": ("Boys' Clothing (Sizes 4 & Up)", "kids"),
    "51581": ("Girls' Outerwear", "kids"),
    "51582": ("Boys' Outerwear", "kids"),
    "147285": ("Baby Shoes", "shoes"),
    "57974": ("Girls' Shoes", "shoes"),
    "57929": ("Boys' Shoes", "shoes"),
    "57882": ("Kids' Bags", "accessories"),
    "57884": ("Kids' Hats", "accessories"),
}
# Aspect names and Size Type values in each site's language.
NAMES = {
    "en": {
        "brand": "Brand",
        "size": "Size",
        "size_type": "Size Type",
        "color": "Colour",
        "style": "Style",
        "department": "Department",
    },
    "fr": {
        "brand": "Marque",
        "size": "Taille",
        "size_type": "Type de taille",
        "color": "Couleur",
        "style": "Style",
        "department": "Département",
    },
    "de": {
        "brand": "Marke",
        "size": "Größe",
        "size_type": "Größentyp",
        "color": "Farbe",
        "style": "Stil",
        "department": "Abteilung",
    },
}
SIZE_TYPES = {
    "en": ["Regular", "Petite", "Plus", "Tall", "Big & Tall", "Maternity", "Juniors"],
    "fr": ["Standard", "Petite", "Grande taille", "Grand", "Grand et fort", "Maternité", "Junior"],
    "de": ["Normalgröße", "Kurzgröße", "Große Größen", "Langgröße", "Umstandsmode", "Junior"],
}
LANGUAGES = {"EBAY_US": "en", "EBAY_GB": "en", "EBAY_DE": "de", "EBAY_FR": "fr"}


def site_of(tree_id: str) -> str | None:
    return next((site for site, (tree, _) in TREES.items() if tree == tree_id), None)


def _aspect(
    name: str, *, required: bool, mode: str = "FREE_TEXT", multi: bool = False, values: list[str] | None = None
) -> dict[str, Any]:
    return {
        "localizedAspectName": name,
        "aspectConstraint": {
            "aspectDataType": "STRING",
            "aspectEnabledForVariations": not multi,
            "aspectMode": mode,
            "aspectRequired": required,
            "aspectUsage": "RECOMMENDED",
            "itemToAspectCardinality": "MULTI" if multi else "SINGLE",
        },
        "aspectValues": [{"localizedValue": v} for v in values or []],
    }


def aspects(site: str, category_id: str) -> list[dict[str, Any]] | None:
    """getItemAspectsForCategory's `aspects` for a leaf category (None: eBay does not know it)."""
    found = CATEGORIES.get(category_id)
    if found is None:
        return None
    kind = found[1]
    language = LANGUAGES[site]
    names = NAMES[language]
    listed = [_aspect(names["brand"], required=True)]
    if kind in ("women", "men", "men_plain", "kids", "shoes"):
        listed.append(_aspect(names["size"], required=True))
    if kind in ("women", "men"):
        listed.append(_aspect(names["size_type"], required=True, mode="SELECTION_ONLY", values=SIZE_TYPES[language]))
    listed.append(_aspect(names["color"], required=False, multi=True))
    listed.append(_aspect(names["style"], required=False))
    return listed


def required(site: str, category_id: str) -> list[str]:
    return [
        a["localizedAspectName"] for a in aspects(site, category_id) or [] if a["aspectConstraint"]["aspectRequired"]
    ]


def suggestions(query: str) -> list[dict[str, Any]]:
    """getCategorySuggestions: categories whose name shares a word with the query, best first."""
    words = {w for w in query.lower().replace("'", " ").split() if len(w) > 2}
    scored = []
    for category_id, (name, _) in CATEGORIES.items():
        shared = words & set(name.lower().replace("'", " ").replace(",", " ").split())
        if shared:
            scored.append((len(shared), category_id, name))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [
        {
            "category": {"categoryId": category_id, "categoryName": name},
            "categoryTreeNodeAncestors": [
                {"categoryId": "11450", "categoryName": "Clothing, Shoes & Accessories", "categoryTreeNodeLevel": 1}
            ],
            "categoryTreeNodeLevel": 3,
            "relevancy": "HIGH" if score > 1 else "MEDIUM",
        }
        for score, category_id, name in scored[:10]
    ]
