"""The shared catalogues: served to the dashboard, and used to check a product's references.

Catalogues change only by migration, so each container keeps them in memory for a while
(settings.catalog_cache_max_age_s) and clients may cache them as long, revalidating by ETag.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import InvalidInput, NotFound
from stoflow.repositories import catalog as repository

# Product fields that point into a catalogue, and which catalogue.
REFERENCES = {
    "brand_id": "brands",
    "category_id": "categories",
    "size_id": "sizes",
    "condition_id": "conditions",
    "gender_id": "genders",
    "season_id": "seasons",
    "pattern_id": "patterns",
    "size_type_id": "size_types",
    "color_ids": "colors",
    "material_ids": "materials",
}


@dataclass(frozen=True)
class CatalogList:
    kind: str
    items: list[dict[str, Any]]
    etag: str
    body: bytes
    by_id: dict[int, dict[str, Any]]


# This container's catalogues, by kind, with when each was loaded.
CACHE: runtime.Part[dict[str, tuple[float, CatalogList]]] = runtime.Part("catalogue cache", dict)


def catalog_list(kind: str, session: Session | None = None) -> CatalogList:
    """The catalogue, from this container's cache or loaded through `session` when one is open:
    a request that holds the container's only connection must not ask the pool for another."""
    # Imported here: the catalogue tables are a dozen models a function's cold start would build
    # and map although most of its requests never read a catalogue.
    from stoflow.models.catalog import CATALOGS

    if kind not in CATALOGS:
        raise NotFound(f"no catalogue named {kind!r} (known: {', '.join(CATALOGS)})", code="unknown_catalog")
    ttl = get_settings().catalog_cache_max_age_s
    cache = runtime.get(CACHE)
    cached = cache.get(kind)
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cached[1]
    if session is not None:
        items = repository.rows(session, CATALOGS[kind])
    else:
        with shared_session() as own:
            items = repository.rows(own, CATALOGS[kind])
    body = json.dumps({"kind": kind, "items": items}, separators=(",", ":"), ensure_ascii=False).encode()
    listing = CatalogList(
        kind, items, f'"{hashlib.sha256(body).hexdigest()[:32]}"', body, {int(i["id"]): i for i in items}
    )
    cache[kind] = (time.monotonic(), listing)
    return listing


def check_references(session: Session, values: dict[str, Any]) -> None:
    """Every catalogue id in `values` must exist (arrays have no foreign key to say so)."""
    errors = []
    for field_name, kind in REFERENCES.items():
        if values.get(field_name) is None:
            continue
        wanted: Iterable[int] = values[field_name] if field_name.endswith("_ids") else [values[field_name]]
        unknown = sorted(set(wanted) - catalog_list(kind, session).by_id.keys())
        if unknown:
            errors.append({"field": field_name, "unknown_ids": unknown, "catalog": kind})
    if errors:
        names = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"unknown catalogue ids in {names}", code="unknown_catalog_id", errors=errors)


def category_subtree(session: Session, category_id: int) -> list[int]:
    """The category and every category below it: filtering on "Women > Shoes" finds boots too."""
    items = catalog_list("categories", session).items
    children: dict[int | None, list[int]] = {}
    for item in items:
        children.setdefault(item["parent_id"], []).append(int(item["id"]))
    found, todo = [], [category_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return sorted(found)


PATH_SEPARATOR = " \u203a "  # a single right-pointing angle quotation mark, as the pickers show paths


def _label(kind: str, item: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> str:
    """How a person reads an entry, as the dashboard's pickers show it: a category by its path
    in the tree (Women > Clothing > Jeans), a size with its system (M · letter)."""
    if kind == "categories":
        parts, current, depth = [str(item["name"])], item, 0
        while current.get("parent_id") is not None and depth < 10:
            parent = by_id.get(int(current["parent_id"]))
            if parent is None:
                break
            parts.append(str(parent["name"]))
            current, depth = parent, depth + 1
        return PATH_SEPARATOR.join(reversed(parts))
    if kind == "sizes":
        return f"{item['label']} · {item['system']}"
    return str(item.get("name") or item.get("label") or item["id"])


def reference_names(session: Session, values: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The names of the catalogue entries a product points to, by catalogue then id, from this
    container's catalogue cache: a product page shows them without loading each catalogue."""
    names: dict[str, dict[str, str]] = {}
    for field_name, kind in REFERENCES.items():
        value = values.get(field_name)
        wanted = [] if value is None else list(value) if field_name.endswith("_ids") else [value]
        if not wanted:
            continue
        by_id = catalog_list(kind, session).by_id
        found = names.setdefault(kind, {})
        for entry_id in wanted:
            item = by_id.get(int(entry_id))
            if item is not None:
                found[str(entry_id)] = _label(kind, item, by_id)
    return names
