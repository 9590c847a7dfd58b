"""/auth/password/*: forgotten password (a link by email), reset with that link, change when
signed in. Thin: stoflow.services.passwords decides."""

from __future__ import annotations

from fastapi import Request, Response, status

from stoflow.api.deps import CurrentPrincipal
from stoflow.api.routers.auth import client_ip
from stoflow.api.routing import api_router
from stoflow.api.schemas.account import PasswordChangeIn, PasswordForgotIn, PasswordResetIn

router = api_router(prefix="/auth/password", tags=["auth"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (400, 401, 403, 422, 429)
}


@router.post("/forgot", status_code=status.HTTP_202_ACCEPTED, response_class=Response, responses=_PROBLEMS)
async def forgot_password(body: PasswordForgotIn, request: Request) -> Response:
    """Email a password reset link (to the dashboard's /reset-password page) if the address has an
    account. Always 202: the answer never tells whether an address is registered. The link works
    once, for 30 minutes."""
    from stoflow.services.passwords import request_reset

    request_reset(body.email, client_ip(request))
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post("/reset", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def reset_password(body: PasswordResetIn) -> Response:
    """Set a new password with the emailed link's token. Signs the account out everywhere (every
    session, paired extensions included): log in again with the new password. 400
    `invalid_reset_token` for a link that is unknown, used or expired."""
    from stoflow.services.passwords import reset_password as reset

    reset(body.token, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/change", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def change_password(body: PasswordChangeIn, principal: CurrentPrincipal) -> Response:
    """Change the password of the signed-in account. Every other session is signed out (other
    browsers, paired extensions); this one stays. 400 `wrong_password` if `current_password` is wrong."""
    from stoflow.services.passwords import change_password as change

    change(principal, body.current_password, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
