"""Our attributes as eBay item specifics (aspects), named and valued in the site's language.

One mapping, used by the converter (what is sent) and by readiness (what is checked against the
category's required aspects), so the two can never disagree. The seller's own aspect values
(product override `ebay.aspects`, e.g. {"Style": ["Skinny"]}) come last and win.
"""

from __future__ import annotations

from typing import Any

from stoflow.domain.readiness import ProductFacts

# Aspect names per listing language (eBay names item specifics in the site's language).
ASPECT_NAMES: dict[str, dict[str, str]] = {
    "fr": {
        "brand": "Marque",
        "color": "Couleur",
        "size": "Taille",
        "size_type": "Type de taille",
        "material": "Matière",
        "department": "Département",
        "pattern": "Motif",
    },
    "de": {
        "brand": "Marke",
        "color": "Farbe",
        "size": "Größe",
        "size_type": "Größentyp",
        "material": "Material",
        "department": "Abteilung",
        "pattern": "Muster",
    },
    "en": {
        "brand": "Brand",
        "color": "Colour",
        "size": "Size",
        "size_type": "Size Type",
        "material": "Material",
        "department": "Department",
        "pattern": "Pattern",
    },
}
# Our catalogue names -> eBay's allowed values, where the site's value differs from our English name.
VALUES: dict[str, dict[str, dict[str, str]]] = {
    "fr": {
        "department": {
            "Women": "Femme",
            "Men": "Homme",
            "Unisex": "Unisexe adulte",
            "Girls": "Fille",
            "Boys": "Garçon",
            "Baby": "Bébé",
        },
        "size_type": {
            "Regular": "Standard",
            "Petite": "Petite",
            "Plus": "Grande taille",
            "Tall": "Grand",
            "Big & Tall": "Grand et fort",
            "Maternity": "Maternité",
            "Juniors": "Junior",
        },
    },
    "de": {
        "department": {
            "Women": "Damen",
            "Men": "Herren",
            "Unisex": "Unisex Erwachsene",
            "Girls": "Mädchen",
            "Boys": "Jungen",
            "Baby": "Baby",
        },
        "size_type": {
            "Regular": "Normalgröße",
            "Petite": "Kurzgröße",
            "Plus": "Große Größen",
            "Tall": "Langgröße",
            "Big & Tall": "Große Größen",
            "Maternity": "Umstandsmode",
            "Juniors": "Junior",
        },
    },
    "en": {"department": {"Unisex": "Unisex Adults"}},
}
# The department a category implies when the product names no gender.
_DEPARTMENTS = {"women": "Women", "men": "Men"}


def language_of(content_language: str) -> str:
    language = content_language.split("-")[0].lower()
    return language if language in ASPECT_NAMES else "en"


def _value(language: str, kind: str, name: str) -> str:
    return VALUES.get(language, {}).get(kind, {}).get(name, name)


def product_aspects(facts: ProductFacts, content_language: str) -> dict[str, list[str]]:
    """The product's aspects for a listing in `content_language` (e.g. "fr-FR")."""
    language = language_of(content_language)
    names = ASPECT_NAMES[language]
    aspects: dict[str, list[str]] = {}
    if facts.brand:
        aspects[names["brand"]] = [facts.brand]
    if facts.colors:
        aspects[names["color"]] = [name for _, name in facts.colors]
    if facts.size is not None:
        aspects[names["size"]] = [facts.size[1]]
    if facts.size_type:
        aspects[names["size_type"]] = [_value(language, "size_type", facts.size_type)]
    if facts.materials:
        aspects[names["material"]] = list(facts.materials)
    department = facts.gender or (_DEPARTMENTS.get(facts.category.department) if facts.category else None)
    if department:
        aspects[names["department"]] = [_value(language, "department", department)]
    if facts.pattern:
        aspects[names["pattern"]] = [facts.pattern]
    own: Any = facts.override("ebay", "aspects") or {}
    for name, values in own.items():
        listed = [str(v) for v in (values if isinstance(values, list) else [values]) if str(v).strip()]
        if listed:
            aspects[str(name)] = listed
    return aspects
