"""Etsy's rules on what it lists: handmade items, vintage items (20 years or older) and craft
supplies. `who_made` and `when_made` come from the product (handmade, year made), never from a
default: an ordinary second-hand garment is not an Etsy item, and saying it is would be a lie to
the buyer that Etsy removes listings for."""

from __future__ import annotations

from stoflow.domain.readiness import ProductFacts

VINTAGE_YEARS = 20
# Etsy's when_made values for the years since 2000 (ListingWhenMade in the Open API v3 file).
_RANGES = ((2020, 2025, "2020_2025"), (2010, 2019, "2010_2019"), (2006, 2009, "2006_2009"), (2000, 2005, "2000_2005"))


def when_made(year: int) -> str | None:
    """Etsy's when_made for an item made in `year` (None: a year Etsy has no value for yet)."""
    for start, end, value in _RANGES:
        if start <= year <= end:
            return value
    if 1900 <= year < 2000:
        return f"{year // 10 * 10}s"
    if 1700 <= year < 1900:
        return f"{year // 100 * 100}s"
    if year < 1700:
        return "before_1700"
    return None


def who_made(facts: ProductFacts) -> str:
    return "i_did" if facts.handmade else "someone_else"


def is_vintage(facts: ProductFacts, this_year: int) -> bool:
    return facts.year_made is not None and this_year - facts.year_made >= VINTAGE_YEARS
