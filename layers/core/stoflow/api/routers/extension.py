"""/extension: pairing a browser extension, and the paired devices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Request, Response, status
from pydantic import ConfigDict

from stoflow.api.deps import CurrentPrincipal
from stoflow.api.edge import id_of, text
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel
from stoflow.models.extension import ExtensionDevice

router = api_router(prefix="/extension", tags=["extension"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 404, 422, 429)
}


def _client_ip(request: Request) -> str:
    # requestContext.http.sourceIp behind API Gateway; X-Forwarded-For is never trusted.
    return request.client.host if request.client else "unknown"


class PairingOut(ApiModel):
    code: str
    expires_in: int
    expires_at: datetime


class PairIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    code: text(16, min_length=6)
    name: text(80, min_length=1)
    version: text(32) | None = None


class PairOut(ApiModel):
    device_id: int
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    ws_url: str


class TokenIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: text(256, min_length=10)


class TokenOut(ApiModel):
    device_id: int
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class DeviceOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    version: str | None
    created_at: datetime
    last_seen_at: datetime


class DevicesOut(ApiModel):
    items: list[DeviceOut]
    total: int


@router.post("/pairings", status_code=status.HTTP_201_CREATED, response_model=PairingOut, responses=_PROBLEMS)
async def create_pairing(principal: CurrentPrincipal) -> PairingOut:
    """A short single-use code to type into the extension's popup within `expires_in` seconds."""
    from stoflow.services.extension_pairing import create_code

    issued = create_code(principal)
    return PairingOut(code=issued.code, expires_in=issued.expires_in, expires_at=issued.expires_at)


@router.post("/pair", status_code=status.HTTP_201_CREATED, response_model=PairOut, responses=_PROBLEMS)
async def pair(body: PairIn, request: Request, response: Response) -> PairOut:
    """The extension trades a pairing code for its own tokens (no bearer: the code is the proof)."""
    from stoflow.services.extension_pairing import pair as pair_device

    response.headers["Cache-Control"] = "no-store"
    paired = pair_device(body.code, body.name, body.version, _client_ip(request))
    return PairOut(
        device_id=paired.device_id,
        access_token=paired.access_token,
        refresh_token=paired.refresh_token,
        token_type=paired.token_type,
        expires_in=paired.expires_in,
        ws_url=paired.ws_url,
    )


@router.post("/token", response_model=TokenOut, responses=_PROBLEMS)
async def rotate_token(body: TokenIn, request: Request, response: Response) -> TokenOut:
    """A paired extension's refresh: the refresh token rotates; a reused one revokes the device."""
    from stoflow.services.extension_pairing import rotate

    response.headers["Cache-Control"] = "no-store"
    device_id, pair_ = rotate(body.refresh_token, _client_ip(request))
    return TokenOut(
        device_id=device_id,
        access_token=pair_.access_token,
        refresh_token=pair_.refresh_token,
        token_type=pair_.token_type,
        expires_in=pair_.expires_in,
    )


@router.get("/devices", response_model=DevicesOut, responses=_PROBLEMS)
async def list_devices(principal: CurrentPrincipal) -> DevicesOut:
    from stoflow.services.extension_pairing import list_devices as devices

    items = [DeviceOut.model_validate(device) for device in devices(principal)]
    return DevicesOut(items=items, total=len(items))


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def revoke_device(
    device_id: Annotated[id_of(ExtensionDevice.id), Path()], principal: CurrentPrincipal
) -> Response:
    """Revoke the device's tokens and close its connection (other devices reconnect by themselves)."""
    from stoflow.services.extension_pairing import revoke_device as revoke

    revoke(principal, device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
