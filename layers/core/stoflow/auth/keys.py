"""RS256 signing keys: the current key signs, the previous one still verifies (rotation).

On AWS the keys live in a Secrets Manager secret {"current": PEM, "previous": PEM | [PEM] | null},
read once per container and again after `jwt_keys_cache_ttl_s` (or sooner when a token names a
kid we do not know, at most every few seconds: a new key may have been rotated in). Locally they
are generated once under `<data_dir>/keys` and kept there, so a restart keeps sessions valid.

A key's `kid` is its RFC 7638 JWK thumbprint: stable, derived, never configured by hand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stoflow import runtime

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

    from stoflow.config import Settings

# Between two reloads triggered by unknown kids: forged kids must not hammer Secrets Manager.
UNKNOWN_KID_RELOAD_INTERVAL_S = 10.0
RSA_KEY_BITS = 2048


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def kid_for(public_key: RSAPublicKey) -> str:
    members = public_jwk(public_key)
    canonical = json.dumps({k: members[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    public_key: RSAPublicKey
    private_key: RSAPrivateKey | None = None

    def jwk(self) -> dict[str, str]:
        return {**public_jwk(self.public_key), "kid": self.kid, "alg": "RS256", "use": "sig"}


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    previous: tuple[SigningKey, ...] = ()
    # Tokens this ring has verified, with their claims (stoflow.auth.tokens): a reloaded ring
    # starts empty, so a retired key's tokens are checked again against the new ring.
    verified: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def by_kid(self, kid: str) -> SigningKey | None:
        for key in (self.current, *self.previous):
            if key.kid == kid:
                return key
        return None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in (self.current, *self.previous)]}


def generate_private_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def signing_key_from_pem(pem: str | bytes, *, keep_private: bool) -> SigningKey:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    # The keys are ours (our secret, our data folder), not attacker input: the RSA consistency
    # check OpenSSL would run costs ~30 ms per key on every cold start and guards nothing here.
    private = load_pem_private_key(
        pem.encode() if isinstance(pem, str) else pem, password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(private, RSAPrivateKey):
        raise ValueError("JWT signing keys must be RSA private keys")
    public = private.public_key()
    return SigningKey(kid=kid_for(public), public_key=public, private_key=private if keep_private else None)


def keyring_from_pems(current: str | bytes, previous: Sequence[str | bytes] = ()) -> KeyRing:
    return KeyRing(
        current=signing_key_from_pem(current, keep_private=True),
        previous=tuple(signing_key_from_pem(pem, keep_private=False) for pem in previous),
    )


# --- local keys --------------------------------------------------------------------------------


def _write_exclusive(path: Path, data: bytes) -> bool:
    """Create `path` with `data` atomically, readable by us only; False if it already exists."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    try:
        # link() fails when the target exists: two processes starting at once keep one key.
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def load_local_keyring(directory: Path) -> KeyRing:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    current = directory / "current.pem"
    if not current.exists():
        _write_exclusive(current, generate_private_pem())
    previous = directory / "previous.pem"
    return keyring_from_pems(current.read_bytes(), [previous.read_bytes()] if previous.exists() else [])


def rotate_local_keys(directory: Path) -> KeyRing:
    """The current key becomes the previous one (still accepted), a new key becomes current."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    current = directory / "current.pem"
    if current.exists():
        os.replace(current, directory / "previous.pem")
    _write_exclusive(current, generate_private_pem())
    return load_local_keyring(directory)


# --- Secrets Manager ----------------------------------------------------------------------------


def keyring_from_secret(secret_string: str) -> KeyRing:
    document = json.loads(secret_string)
    previous = document.get("previous") or []
    if isinstance(previous, str):
        previous = [previous]
    return keyring_from_pems(document["current"], previous)


def _load_secret_keyring(secret_arn: str) -> KeyRing:
    """The keys now (Powertools Parameters, fetched afresh: KeyStore decides when to reload)."""
    from stoflow.aws import client, secret_json

    try:
        document = secret_json(secret_arn, max_age_s=1, force=True)
    except client("secretsmanager").exceptions.ResourceNotFoundException as exc:
        # A freshly deployed secret has no value yet.
        raise RuntimeError(
            f"JWT keys secret {secret_arn} has no value: run `stoflow secrets init --stage <stage>` once"
        ) from exc
    return keyring_from_secret(json.dumps(document))


def rotate_secret_keys(secret_arn: str) -> KeyRing:
    """Rotate the keys in Secrets Manager (or create the first one): current becomes previous,
    a new key becomes current. Containers pick the new key up within jwt_keys_cache_ttl_s, or at
    once when they meet a token it signed; tokens signed by the previous key stay valid until it
    is rotated out at the next rotation (so rotate no more often than the access-token lifetime)."""
    from stoflow.aws import client

    secrets = client("secretsmanager")
    try:
        previous = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"]).get("current")
    except secrets.exceptions.ResourceNotFoundException:
        previous = None
    current = generate_private_pem().decode()
    secrets.put_secret_value(SecretId=secret_arn, SecretString=json.dumps({"current": current, "previous": previous}))
    return keyring_from_pems(current, [previous] if previous else [])


class KeyStore:
    """The container's keys, loaded on first use and cached (per container, not per request)."""

    def __init__(self, settings: Settings | None = None, *, keyring: KeyRing | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._keyring = keyring
        self._fixed = keyring is not None
        self._loaded_at = time.monotonic() if keyring is not None else 0.0

    def _settings_now(self) -> Settings:
        if self._settings is None:
            from stoflow.config import get_settings

            return get_settings()
        return self._settings

    def _load(self) -> KeyRing:
        settings = self._settings_now()
        if settings.jwt_keys_secret_arn:
            return _load_secret_keyring(settings.jwt_keys_secret_arn)
        if settings.environment in ("dev", "prod"):
            # Each Lambda container would generate its own key: tokens would verify only on the
            # container that issued them. Refuse instead.
            raise RuntimeError("STOFLOW_JWT_KEYS_SECRET_ARN is required outside the local cloud and tests")
        return load_local_keyring(settings.data_dir / "keys")

    def get(self) -> KeyRing:
        keyring = self._keyring
        if keyring is not None and (
            self._fixed or time.monotonic() - self._loaded_at < self._settings_now().jwt_keys_cache_ttl_s
        ):
            return keyring
        with self._lock:
            if self._keyring is None or (
                not self._fixed and time.monotonic() - self._loaded_at >= self._settings_now().jwt_keys_cache_ttl_s
            ):
                self._keyring = self._load()
                self._loaded_at = time.monotonic()
            return self._keyring

    def reload_for_unknown_kid(self) -> KeyRing | None:
        """A token named a kid we do not have: reload once if we have not just done so."""
        if self._fixed:
            return None
        with self._lock:
            if time.monotonic() - self._loaded_at < UNKNOWN_KID_RELOAD_INTERVAL_S:
                return None
            self._keyring = self._load()
            self._loaded_at = time.monotonic()
            return self._keyring


KEYS: runtime.Part[KeyStore] = runtime.Part("JWT signing keys", KeyStore)


def get_keystore() -> KeyStore:
    return runtime.get(KEYS)
