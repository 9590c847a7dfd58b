"""/auth: register, login, refresh, logout, me, JWKS, email verification. Thin: services decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response, status

from stoflow.api.deps import CurrentPrincipal, SharedDb, access_claims
from stoflow.api.routing import api_router
from stoflow.api.schemas.auth import (
    JwksOut,
    LoginIn,
    ProfileOut,
    RefreshIn,
    RegisterIn,
    ResendVerificationIn,
    SessionOut,
    SessionsOut,
    TokenOut,
    VerifyEmailIn,
)
from stoflow.auth.principal import Principal
from stoflow.auth.tokens import AccessClaims

router = api_router(prefix="/auth", tags=["auth"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (400, 401, 403, 409, 422, 429)
}


def client_ip(request: Request) -> str:
    # Behind API Gateway this is requestContext.http.sourceIp (set by the gateway, not the client);
    # X-Forwarded-For is never trusted for rate limits.
    return request.client.host if request.client else "unknown"


async def session_principal(claims: Annotated[AccessClaims, Depends(access_claims)]) -> Principal:
    """The caller without role rules: logging out is allowed to every role, support included."""
    from stoflow.db.tenancy import shared_session
    from stoflow.services.principals import principal_for

    with shared_session() as session:
        return principal_for(session, claims)


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=ProfileOut, responses=_PROBLEMS)
async def register(body: RegisterIn, request: Request) -> ProfileOut:
    from stoflow.services.accounts import register as register_account

    return ProfileOut.model_validate(register_account(body.email, body.password, client_ip(request)))


@router.post("/login", response_model=TokenOut, responses=_PROBLEMS)
async def login(body: LoginIn, request: Request) -> TokenOut:
    from stoflow.services.auth import login as login_user

    pair = login_user(body.email, body.password, client_ip(request))
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/refresh", response_model=TokenOut, responses=_PROBLEMS)
async def refresh(body: RefreshIn, request: Request) -> TokenOut:
    from stoflow.services.auth import refresh as rotate

    pair = rotate(body.refresh_token, client_ip(request))
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def logout(principal: Annotated[Principal, Depends(session_principal)]) -> Response:
    from stoflow.services.auth import logout as end_session

    end_session(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/logout/everywhere", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def logout_everywhere(principal: Annotated[Principal, Depends(session_principal)]) -> Response:
    """Sign out every browser and device of the account, this one included: every session's
    refresh tokens and access tokens are refused from the next request on, its sockets closed."""
    from stoflow.services.auth import logout_everywhere as end_sessions

    end_sessions(principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions", response_model=SessionsOut, responses=_PROBLEMS)
async def sessions(principal: Annotated[Principal, Depends(session_principal)]) -> SessionsOut:
    """The account's active sessions (one per sign-in still able to refresh), most recently used
    first; `current` marks the caller's."""
    from stoflow.services.auth import active_sessions

    return SessionsOut(
        items=[
            SessionOut(id=str(s.id), created_at=s.created_at, last_used_at=s.last_used_at, current=s.current)
            for s in active_sessions(principal)
        ]
    )


@router.get("/me", response_model=ProfileOut, responses=_PROBLEMS)
async def me(db: SharedDb, principal: CurrentPrincipal) -> ProfileOut:
    # One transaction: the revocation check, then the profile. `async def` on purpose: a Lambda
    # container serves one request at a time, so the blocking query costs nothing, while a sync
    # route would pay a thread hop. (A comment: the docstring would be the API users' description.)
    from stoflow.services.accounts import profile

    return ProfileOut.model_validate(profile(db, principal.user_id))


@router.get("/jwks.json", response_model=JwksOut)
async def jwks(response: Response) -> JwksOut:
    from stoflow.auth.keys import get_keystore

    # Public keys: cacheable, and short enough that a rotated-in key is seen within minutes.
    response.headers["cache-control"] = "public, max-age=300"
    return JwksOut.model_validate(get_keystore().get().jwks())


@router.post("/verify-email", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def verify_email(body: VerifyEmailIn) -> Response:
    from stoflow.services.accounts import verify_email as confirm

    confirm(body.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/verify-email/resend", status_code=status.HTTP_202_ACCEPTED, response_class=Response, responses=_PROBLEMS)
async def resend_verification(body: ResendVerificationIn, request: Request) -> Response:
    from stoflow.services.accounts import resend_verification as resend

    resend(body.email, client_ip(request))
    return Response(status_code=status.HTTP_202_ACCEPTED)
