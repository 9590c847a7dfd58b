"""Authentication and tenancy for routes: who is calling, may they, and their tenant's session.

    from stoflow.api.deps import CurrentPrincipal, TenantDb, require_role

    @router.get("/products")
    def list_products(db: TenantDb, principal: CurrentPrincipal) -> ...: ...

    @router.delete("/admin/x", dependencies=[Depends(require_role("admin"))])

- The bearer token is verified (RS256, kid, iss, aud, exp...) without touching the database, once
  per request, by whichever dependency reads it first. Each dependency reads the header itself and
  depends on nothing else: FastAPI solves every level of dependencies again on every request.
- Revocation is then checked once per request: one statement (two primary-key lookups) that also
  reads the current role. With `TenantDb` it runs inside the tenant session's transaction, so a
  route using the database pays no extra transaction for it; with only `CurrentPrincipal` it runs
  in a short shared-schema transaction. Whichever dependency resolves first does it, the other
  reuses the result (request.state).
- Roles: `authorize` (stoflow.auth.principal) is applied to every authenticated request;
  `support` is read-only everywhere, `require_role(...)` narrows a route further.
- `TenantDb` and `SharedDb` commit when the route function returns, before the response is sent:
  a failing commit is an error response, never a 200 for a lost write. They are not dependencies
  with yield (`_until_the_route_returns`).
- Every dependency here is `async def` although it blocks on the database: a Lambda container
  serves one request at a time, so blocking its event loop costs nothing, while a sync
  dependency costs a hop to a worker thread each way (and a new thread per request, since each
  invocation runs its own loop).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.orm import Session

from stoflow.auth.principal import Principal, authorize
from stoflow.auth.tokens import AccessClaims, verify_access_token
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.errors import InvalidToken

# The scheme in the OpenAPI document (stoflow.api.app.document_bearer gives it to every route whose
# dependencies read the token). Not a dependency: each level of dependency solving costs every
# request, so the dependencies below read the header themselves, as it reads it.
BEARER = HTTPBearer(auto_error=False, description="Access token from POST /auth/login or /auth/refresh")


def _claims(request: Request) -> AccessClaims:
    """The verified claims of the request's bearer token (no database access), verified once per
    request whichever dependency asks first."""
    state = request.state
    claims: AccessClaims | None = getattr(state, "claims", None)
    if claims is None:
        scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not credentials:
            raise InvalidToken("missing bearer token", code="missing_token")
        claims = verify_access_token(credentials)
        state.claims = claims
    return claims


async def access_claims(request: Request) -> AccessClaims:
    """The verified claims of the bearer token (no database access)."""
    return _claims(request)


def _checked(request: Request, session: Session, claims: AccessClaims, method: str | None = None) -> Principal:
    from stoflow.services.principals import principal_for

    principal = principal_for(session, claims)
    authorize(principal, method or request.method)
    request.state.principal = principal
    return principal


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    claims = _claims(request)
    with shared_session() as session:
        return _checked(request, session, claims)


async def current_reader(request: Request) -> Principal:
    """For the rare POST that changes nothing of the caller's data (a WebSocket ticket to watch
    job status): authorized as a read, so read-only roles may call it too."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal
    claims = _claims(request)
    with shared_session() as session:
        return _checked(request, session, claims, method="GET")


def _until_the_route_returns(request: Request, unit_of_work: AbstractContextManager[Session]) -> Session:
    """Enter `unit_of_work` and leave it when the route function returns (commit) or raises
    (rollback), before the response is sent: on FastAPI's function-scoped exit stack, where it puts
    a `scope="function"` dependency with yield. Not a dependency with yield: FastAPI runs each one
    in an anyio cancel scope, whose first use loads anyio's asyncio backend (10-15 ms of a cold
    start), and which costs every request about 0.1 ms."""
    stack = request.scope["fastapi_function_astack"]
    session = unit_of_work.__enter__()
    stack.push(unit_of_work.__exit__)
    return session


async def tenant_db(request: Request) -> Session:
    """A tenant session for the caller's own tenant; the revocation check is its first statement."""
    claims = _claims(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    tenant_id = principal.tenant_id if principal is not None else claims.tenant_id
    # The revocation check joins the tenant registry and refuses a token whose tenant is not its
    # user's: run first, it is the registry check too (no statement of its own on a cold start).
    session = _until_the_route_returns(request, tenant_session(tenant_id, verify=principal is not None))
    if principal is None:
        _checked(request, session, claims)
    return session


async def shared_db(request: Request) -> Session:
    """A shared-schema session for routes that read only the caller's account; the revocation
    check is its first statement, so the request is one transaction."""
    claims = _claims(request)
    session = _until_the_route_returns(request, shared_session())
    if getattr(request.state, "principal", None) is None:
        _checked(request, session, claims)
    return session


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting only these roles (support stays read-only even when admitted)."""
    allowed = frozenset(roles)

    async def dependency(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        authorize(principal, request.method, allowed)
        return principal

    dependency.__name__ = f"require_role_{'_'.join(sorted(allowed))}"
    return dependency


# The dependencies that read the bearer token: the OpenAPI document gives their routes the scheme.
READ_THE_TOKEN = frozenset({access_claims, current_principal, current_reader, tenant_db, shared_db})

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentReader = Annotated[Principal, Depends(current_reader)]
TenantDb = Annotated[Session, Depends(tenant_db)]
SharedDb = Annotated[Session, Depends(shared_db)]
