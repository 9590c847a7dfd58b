"""Pairing a browser extension with a StoFlow account, and the devices that result.

1. The signed-in dashboard asks for a code (POST /extension/pairings): 8 characters from an
   unambiguous alphabet (40 bits), valid 10 minutes, single use, stored as its SHA-256.
2. The extension trades it (POST /extension/pair, no bearer: the code is the credential, rate
   limited per address) for its own tokens: a new auth session (refresh-token family) bound to a
   device row. The access token is an ordinary one (it opens WebSocket tickets); the refresh
   token rotates on every use with reuse detection (stoflow.services.auth.refresh).
3. DELETE /extension/devices/{id} revokes the device's session (its tokens stop working at the
   next request) and closes that device's extension connections; other devices stay connected.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from stoflow.auth import clock
from stoflow.auth.opaque import digest, new_token
from stoflow.auth.principal import Principal
from stoflow.auth.tokens import issue_access_token
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import InvalidRefreshToken, NotFound, Unauthorized
from stoflow.models.extension import ExtensionDevice
from stoflow.repositories import auth_sessions, users
from stoflow.repositories import extension_devices as repo
from stoflow.services import rate_limits

if TYPE_CHECKING:
    from stoflow.services.auth import TokenPair

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code read from a screen and typed into a popup.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class PairingCodeRefused(Unauthorized):
    code = "invalid_pairing_code"
    title = "Invalid, expired or already used pairing code"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    expires_in: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PairedDevice:
    device_id: int
    access_token: str
    refresh_token: str
    expires_in: int
    ws_url: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth 2 token type, not a secret)


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        raise PairingCodeRefused()
    return cleaned


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def create_code(principal: Principal) -> IssuedCode:
    ttl = get_settings().extension_pairing_ttl_s
    now = clock.now()
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = now + timedelta(seconds=ttl)
    with shared_session() as session:
        repo.purge_codes(session, now - timedelta(days=1))
        repo.add_code(session, digest(code), principal.user_id, principal.tenant_id, expires_at)
    return IssuedCode(code=display_code(code), expires_in=ttl, expires_at=expires_at)


def pair(code: str, name: str, version: str | None, client_ip: str) -> PairedDevice:
    settings = get_settings()
    now = clock.now()
    with shared_session() as session:
        refusal = rate_limits.hit(
            session,
            f"extension_pair:ip:{client_ip}",
            settings.extension_pair_rate_per_ip,
            settings.rate_window_s,
            now,
            "pairing",
        )
    if refusal:
        raise refusal.exception()
    cleaned = normalise_code(code)
    name = name.strip()[:80] or "Browser"
    with shared_session() as session:
        burnt = repo.burn_code(session, digest(cleaned), now)
        if burnt is None:
            raise PairingCodeRefused()
        account = users.get(session, burnt.user_id)
        if account is None or not account.is_active:
            raise PairingCodeRefused("account disabled", code="account_disabled")
        session_id = auth_sessions.create_session(session, account.id)
        refresh = new_token()
        auth_sessions.add_refresh_token(
            session, session_id, digest(refresh), now + timedelta(seconds=settings.refresh_token_ttl_s)
        )
        device = repo.add_device(session, account.id, burnt.tenant_id, session_id, name, version)
        repo.link_code(session, burnt.id, device.id)
        access = issue_access_token(
            user_id=account.id, tenant_id=burnt.tenant_id, role=account.role, session_id=str(session_id)
        )
        device_id = device.id
    log.info("extension paired", extra={"device_id": device_id, "tenant_id": burnt.tenant_id})
    return PairedDevice(
        device_id=device_id,
        access_token=access.token,
        refresh_token=refresh,
        expires_in=access.expires_in,
        ws_url=settings.ws_public_url,
    )


def rotate(refresh_token: str, client_ip: str) -> tuple[int, TokenPair]:
    """A device's refresh token for a new pair (the old one is spent). Only device sessions."""
    from stoflow.services.auth import refresh

    if not refresh_token or len(refresh_token) > 256:
        raise InvalidRefreshToken()
    with shared_session() as session:
        device = repo.device_for_refresh_token(session, digest(refresh_token))
        if device is None or device.revoked_at is not None:
            raise InvalidRefreshToken("not a paired device's token", code="invalid_device_token")
        device_id = device.id
    pair_ = refresh(refresh_token, client_ip)
    with shared_session() as session:
        repo.touch_device(session, device_id, clock.now())
    return device_id, pair_


def list_devices(principal: Principal) -> list[ExtensionDevice]:
    with shared_session() as session:
        return repo.devices_of(session, principal.user_id)


def revoke_device(principal: Principal, device_id: int) -> int:
    """Revoke the device's session and close that device's extension connections; returns how
    many were asked to close. Another user's device is a 404, like a missing one."""
    from stoflow.repositories import ws as ws_repository
    from stoflow.services.ws import close_connections

    now = clock.now()
    with shared_session() as session:
        device = repo.get_device(session, device_id, principal.user_id, for_update=True)
        if device is None or device.revoked_at is not None:
            raise NotFound("no such device", code="device_not_found")
        device.revoked_at = now
        session_id = uuid.UUID(str(device.session_id))
        auth_sessions.revoke_session(session, session_id, now, "device_revoked")
        connections = [
            row
            for row in ws_repository.connections_of_session(session, session_id, device_id=device_id)
            if row.user_id == principal.user_id
        ]
    # After the commit: a socket that opens meanwhile is refused at its next message anyway.
    return close_connections(connections)
