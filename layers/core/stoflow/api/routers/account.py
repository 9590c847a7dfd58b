"""/account: export everything (a download link) and delete the account. Thin: services decide."""

from __future__ import annotations

from fastapi import Response, status

from stoflow.api.deps import CurrentPrincipal
from stoflow.api.routing import api_router
from stoflow.api.schemas.account import AccountDeletionIn, ExportFileOut, ExportOut

router = api_router(prefix="/account", tags=["account"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (400, 401, 403, 422, 429)
}


@router.post("/export", status_code=status.HTTP_201_CREATED, response_model=ExportOut, responses=_PROBLEMS)
async def export_account(principal: CurrentPrincipal) -> ExportOut:
    """Export your products, images, listings and orders: a ZIP archive with `export.json` (all of
    it) and one CSV per kind. Answers a download link that works without a token until
    `expires_at` (15 minutes); ask again for a fresh one."""
    from stoflow.services.account_export import export_account as export

    done = export(principal.user_id, principal.tenant_id)
    return ExportOut(
        url=done.url,
        expires_at=done.expires_at,
        size_bytes=done.size_bytes,
        files=[ExportFileOut(name=name, rows=rows) for name, rows in done.files],
    )


@router.post("/delete", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def delete_account(body: AccountDeletionIn, principal: CurrentPrincipal) -> Response:
    """Delete your account and everything in it, for good: products, photos, listings state,
    jobs, orders, marketplace connections, paired extensions and sessions. Listings already live
    on a marketplace stay there (delist them first). Needs your password and the words
    "delete my account"; 400 `wrong_password` if the password is wrong. Export first if you want
    to keep a copy."""
    from stoflow.services.account_deletion import delete_account as delete

    delete(principal, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
