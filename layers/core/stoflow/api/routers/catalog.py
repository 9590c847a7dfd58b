"""GET /catalog/{kind}: the shared catalogues, cacheable (they change only by migration)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response

from stoflow.api.deps import CurrentPrincipal
from stoflow.api.edge import text
from stoflow.api.routing import api_router
from stoflow.config import get_settings
from stoflow.services.catalog import catalog_list

router = api_router(prefix="/catalog", tags=["catalog"])


@router.get(
    "/{kind}",
    responses={
        200: {"content": {"application/json": {}}, "description": "{kind, items: [...]}"},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        401: {"content": {"application/problem+json": {}}, "description": "Missing or invalid token"},
        404: {"content": {"application/problem+json": {}}, "description": "Unknown catalogue"},
    },
)
async def get_catalog(kind: Annotated[text(32), Path()], request: Request, principal: CurrentPrincipal) -> Response:
    """brands, categories, colors, conditions, sizes, materials, genders, seasons, patterns.

    Signed-in users only, like every route but login; the content is the same for everyone and
    not sensitive, so `public` lets shared caches keep it too. Clients revalidate with
    If-None-Match and get a 304 without a body."""
    listing = catalog_list(kind)
    max_age = get_settings().catalog_cache_max_age_s
    headers = {
        "ETag": listing.etag,
        "Cache-Control": f"public, max-age={max_age}, stale-while-revalidate={max_age}",
        "Vary": "Accept-Encoding",
    }
    wanted = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if listing.etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(content=listing.body, media_type="application/json", headers=headers)
