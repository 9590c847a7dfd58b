"""RS256 access tokens: issued with kid, iss, aud, sub, iat, exp, jti; verified strictly.

Verification refuses anything but RS256 before any key is chosen: `none`, every HS* (including
an HMAC "signed" with our public key, the classic confusion attack), ES*, PS*... The kid must
name one of our keys (current or previous), and iss, aud, exp, iat, sub, jti, sid, tid must all be
present. Revocation is not checked here (that needs the database): see
stoflow.services.principals.principal_for.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from stoflow.errors import InvalidToken

if TYPE_CHECKING:
    from stoflow.auth.keys import KeyRing, KeyStore
    from stoflow.config import Settings

ALGORITHM = "RS256"
# RFC 9068: an access token cannot be mistaken for another kind of JWT.
TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti", "sid", "tid"]
# A container sees the same few tokens request after request (one seller's dashboard): their
# signature is checked once (about a fifth of a warm request), their expiry every time.
_VERIFIED_KEPT = 256


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    tenant_id: int
    role: str
    session_id: str
    jti: str
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_in: int
    expires_at: int


def _settings(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    from stoflow.config import get_settings

    return get_settings()


def _keystore(keystore: KeyStore | None) -> KeyStore:
    if keystore is not None:
        return keystore
    from stoflow.auth.keys import get_keystore

    return get_keystore()


def issue_access_token(
    *,
    user_id: int,
    tenant_id: int,
    role: str,
    session_id: str,
    keyring: KeyRing | None = None,
    settings: Settings | None = None,
    now: float | None = None,
) -> IssuedAccessToken:
    cfg = _settings(settings)
    ring = keyring if keyring is not None else _keystore(None).get()
    key = ring.current
    if key.private_key is None:
        raise RuntimeError("the current JWT key has no private part")
    issued_at = int(now if now is not None else time.time())
    expires_at = issued_at + cfg.access_token_ttl_s
    jti = uuid.uuid4().hex
    payload = {
        "iss": cfg.jwt_issuer,
        "aud": cfg.jwt_audience,
        "sub": str(user_id),
        "iat": issued_at,
        "exp": expires_at,
        "jti": jti,
        "sid": session_id,
        "tid": tenant_id,
        "role": role,
    }
    token = jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TOKEN_TYPE})
    return IssuedAccessToken(token=token, jti=jti, expires_in=cfg.access_token_ttl_s, expires_at=expires_at)


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc


def verify_access_token(
    token: str, *, keystore: KeyStore | None = None, settings: Settings | None = None
) -> AccessClaims:
    cfg = _settings(settings)
    ring = _keystore(keystore).get()
    remembered: AccessClaims | None = ring.verified.get((token, cfg.jwt_audience, cfg.jwt_issuer))
    if remembered is not None:
        if time.time() >= remembered.expires_at + cfg.jwt_leeway_s:
            raise InvalidToken("token expired", code="token_expired")
        return remembered
    claims = _verify(token, cfg, keystore)
    if len(ring.verified) >= _VERIFIED_KEPT:
        ring.verified.clear()
    ring.verified[(token, cfg.jwt_audience, cfg.jwt_issuer)] = claims
    return claims


def _verify(token: str, cfg: Settings, keystore: KeyStore | None) -> AccessClaims:
    header = _header(token)
    # Checked before any key is looked up: the algorithm is ours to choose, never the token's.
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("token algorithm refused", code="invalid_token_algorithm")
    if header.get("typ") != TOKEN_TYPE:
        raise InvalidToken("not an access token")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("token has no key id")
    store = _keystore(keystore)
    key = store.get().by_kid(kid)
    if key is None:
        reloaded = store.reload_for_unknown_kid()
        key = reloaded.by_kid(kid) if reloaded is not None else None
    if key is None:
        raise InvalidToken("token signed by an unknown key", code="unknown_key")
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            audience=cfg.jwt_audience,
            issuer=cfg.jwt_issuer,
            leeway=cfg.jwt_leeway_s,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token refused: {type(exc).__name__}") from exc
    try:
        return AccessClaims(
            user_id=int(claims["sub"]),
            tenant_id=int(claims["tid"]),
            role=str(claims.get("role", "")),
            session_id=str(claims["sid"]),
            jti=str(claims["jti"]),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidToken("token claims malformed") from exc
