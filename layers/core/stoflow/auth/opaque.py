"""Opaque secrets handed to clients (refresh tokens, email verification tokens) and their digests.

Only the SHA-256 digest is stored: a leaked table gives no usable token, and with 256 random bits
there is nothing to brute-force, so a slow hash would only cost latency."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
