"""Vinted's rule on descriptions: a listing never points buyers elsewhere. Vinted hides listings
whose text names another marketplace or carries an outside link, so such a text is refused, with
what was found, and never edited behind the seller's back."""

from __future__ import annotations

import re

# Other places to buy: marketplaces, and the social networks sellers use to sell off-platform.
_ELSEWHERE = re.compile(
    r"\b(e-?bay|etsy|leboncoin|le bon coin|depop|vestiaire(?: collective)?|poshmark|grailed|wallapop|"
    r"vide-?dressing|videdressing|selency|amazon|facebook marketplace|instagram|whatsapp|telegram|paypal)\b",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(https?://|www\.)\S+|\b[\w-]+\.(com|fr|de|co\.uk|net|org|shop|store|be|it|es|nl)(/\S*)?\b", re.IGNORECASE
)


def points_elsewhere(text: str) -> str | None:
    """What in `text` points to another marketplace or an outside link (None: nothing)."""
    for pattern in (_LINK, _ELSEWHERE):
        found = pattern.search(text or "")
        if found:
            return found.group(0)
    return None
