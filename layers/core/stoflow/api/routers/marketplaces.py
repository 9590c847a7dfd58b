"""/marketplaces: every connection's state, OAuth connect and callback, disconnect, listing
settings, business policies. Thin: services decide; the marketplaces come from the registry.

The OAuth callback is called by the dashboard page the marketplace redirects to: it forwards
`code` and `state` here with its bearer token, so the state is checked against that user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response, status
from pydantic import ConfigDict, Field

from stoflow.api.deps import CurrentPrincipal, TenantDb, require_role
from stoflow.api.edge import Id, Id32, Int64, text
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel
from stoflow.auth.principal import Principal
from stoflow.marketplaces.registry import NAMES, notification_names, oauth_names

router = api_router(prefix="/marketplaces", tags=["marketplaces"])

# The registry's OAuth marketplaces, as an enum in the OpenAPI document.
OAuthMarketplace = Literal[oauth_names()]  # type: ignore[valid-type]
AnyMarketplace = Literal[NAMES]  # type: ignore[valid-type]
NotifyingMarketplace = Literal[notification_names()]  # type: ignore[valid-type]
Writer = Annotated[Principal, Depends(require_role("user", "admin"))]
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (400, 401, 403, 404, 409, 422, 502, 503)
}


class SetupStepOut(ApiModel):
    code: str
    done: bool
    message: str = Field(description="what to do, shown struck through once done")


class ConnectionOut(ApiModel):
    model_config = ConfigDict(extra="allow")

    marketplace: str
    status: str
    connected: bool
    setup: list[SetupStepOut] = Field(default_factory=lambda: [], description="the account's setup checklist")
    next_step: str | None = Field(default=None, description="the first step not done yet")
    sale_notices: Literal["on", "off", "pending", "needs_reconnect"] | None = Field(
        default=None,
        description="eBay: whether a sale is told within seconds (on), found by the orders checks because this "
        "server takes no notices (off) or the consent predates them (needs_reconnect), or is being set up (pending)",
    )


class ConnectionsOut(ApiModel):
    items: list[ConnectionOut]


class ConnectOut(ApiModel):
    marketplace: str
    authorization_url: str
    state: str
    expires_at: datetime


class MerchantLocation(ApiModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    country: text(2, min_length=2) = Field(description="ISO 3166 alpha-2")
    postalCode: text(20) | None = None  # noqa: N815 (the marketplace's field name)
    city: text(100) | None = None
    addressLine1: text(180) | None = None  # noqa: N815


class SettingsIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    fulfillment_policy_id: text(32) | None = None
    payment_policy_id: text(32) | None = None
    return_policy_id: text(32) | Int64 | None = None
    default_category_id: str | None = Field(default=None, max_length=16, pattern=r"^\d+$")
    location: MerchantLocation | None = None
    shipping_profile_id: Id | None = None
    default_taxonomy_id: Id32 | None = None
    readiness_state_id: Id | None = None


class PolicyOut(ApiModel):
    id: str
    name: str | None = None
    description: str | None = None


class PoliciesOut(ApiModel):
    marketplace_id: str
    fulfillment: list[PolicyOut]
    payment: list[PolicyOut]
    # "return" is a Python keyword: the JSON field keeps eBay's word.
    return_: list[PolicyOut] = Field(alias="return", serialization_alias="return")

    model_config = ConfigDict(populate_by_name=True)


@router.get("", response_model=ConnectionsOut, responses=_PROBLEMS)
async def list_connections(db: TenantDb, principal: CurrentPrincipal) -> ConnectionsOut:
    from stoflow.services.marketplace_connections import list_connections as connections

    return ConnectionsOut(items=[ConnectionOut.model_validate(c) for c in connections(db)])


@router.get("/{marketplace}/policies", response_model=PoliciesOut, response_model_by_alias=True, responses=_PROBLEMS)
async def policies(marketplace: AnyMarketplace, principal: CurrentPrincipal) -> PoliciesOut:
    """The seller's business policies, where the marketplace has them (404 otherwise)."""
    from stoflow.services.marketplace_connections import policies as read

    return PoliciesOut.model_validate(read(principal.tenant_id, marketplace))


class CategorySuggestionOut(ApiModel):
    category_id: str
    name: str | None = None
    path: list[str | None] = Field(default_factory=lambda: [], description="the ancestors, from the top")


class CategorySuggestionsOut(ApiModel):
    marketplace: str
    site: str
    query: str
    suggestions: list[CategorySuggestionOut]


@router.get("/{marketplace}/category-suggestions", response_model=CategorySuggestionsOut, responses=_PROBLEMS)
async def category_suggestions(
    marketplace: AnyMarketplace, product_id: Annotated[Id, Query()], principal: CurrentPrincipal
) -> CategorySuggestionsOut:
    """The marketplace's categories for the product's title, best first (a live call to the
    marketplace, for a connected account; 404 where the marketplace suggests none)."""
    from stoflow.services.marketplace_connections import category_suggestions as suggest

    return CategorySuggestionsOut.model_validate(suggest(principal.tenant_id, marketplace, product_id))


@router.get("/{marketplace}/connect", response_model=ConnectOut, responses=_PROBLEMS)
async def connect(marketplace: OAuthMarketplace, principal: Writer) -> ConnectOut:
    from stoflow.services.marketplace_connections import start_connect

    return ConnectOut.model_validate(start_connect(principal, marketplace))


@router.get("/{marketplace}/callback", response_model=ConnectionOut, responses=_PROBLEMS)
async def callback(
    marketplace: OAuthMarketplace,
    principal: Writer,
    code: Annotated[text(2048, min_length=1), Query()],
    state: Annotated[text(200, min_length=1), Query()],
) -> ConnectionOut:
    from stoflow.services.marketplace_connections import complete_connect

    return ConnectionOut.model_validate(complete_connect(principal, marketplace, code, state))


@router.patch("/{marketplace}/settings", response_model=ConnectionOut, responses=_PROBLEMS)
async def update_settings(
    marketplace: OAuthMarketplace, body: SettingsIn, db: TenantDb, principal: Writer
) -> ConnectionOut:
    from stoflow.services.marketplace_connections import update_settings as update

    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "location" in values and body.location is not None:
        values["location"] = body.location.model_dump(exclude_none=True)
    return ConnectionOut.model_validate(update(db, marketplace, values))


@router.delete("/{marketplace}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def disconnect(marketplace: OAuthMarketplace, db: TenantDb, principal: Writer) -> Response:
    from stoflow.services.marketplace_connections import disconnect as forget

    forget(db, marketplace)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class ChallengeOut(ApiModel):
    challengeResponse: str  # noqa: N815 (the marketplace's own field name)


@router.get("/{marketplace}/notifications", response_model=ChallengeOut, responses=_PROBLEMS)
async def notification_challenge(
    marketplace: NotifyingMarketplace, challenge_code: Annotated[text(256), Query(min_length=1)]
) -> ChallengeOut:
    """The marketplace checks that its notification endpoint is ours: the answer is a hash of its
    challenge, our verification token and this endpoint's address. No sign-in: the marketplace
    calls it."""
    from stoflow.services.deletion_notices import answer

    _, body = answer(marketplace, "GET", {"challenge_code": challenge_code}, {}, b"")
    return ChallengeOut(**body)


@router.post("/{marketplace}/notifications", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def notification(marketplace: NotifyingMarketplace, request: Request) -> Response:
    """A notice from the marketplace (an account closed: its data is removed). Its signature is
    checked first; a notice delivered twice counts once. No sign-in: the marketplace calls it."""
    from stoflow.services.deletion_notices import answer

    answer(marketplace, "POST", {}, {k.lower(): v for k, v in request.headers.items()}, await request.body())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
