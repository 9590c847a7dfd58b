"""The stack's own secrets: filled once after the first deployment, then rotated on a schedule.

The template creates four empty secrets per stage (stoflow/<stage>/jwt-keys, marketplace-token-keys,
ebay-app, etsy-app). `stoflow secrets init --stage dev` fills those still empty: signing and
encryption keys are generated; the eBay and Etsy application keys come from the same variables
the local cloud reads (STOFLOW_EBAY_CLIENT_ID, ...) or are asked for. A secret that already has a
value is never overwritten by `init`.

Rotation (the KeyRotationFunction's schedules, or `stoflow secrets rotate`): the JWT signing key
moves to "previous" (still accepted) and a new one signs; a new Fernet key goes first and the
older ones stay, up to TOKEN_KEYS_KEPT, so tokens encrypted before are still read (each refresh
re-encrypts with the newest key).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SECRET_NAMES", "init_secrets", "rotate_jwt_keys", "rotate_token_keys", "secret_name"]

SECRET_NAMES = {
    "jwt-keys": "RS256 keys signing access tokens",
    "marketplace-token-keys": "Fernet keys encrypting eBay/Etsy tokens at rest",
    "ebay-app": "our eBay application's keys",
    "etsy-app": "our Etsy application's keys",
}
# Fernet keys kept after a rotation (newest first): a year of quarterly rotations.
TOKEN_KEYS_KEPT = 4

Ask = Callable[[str], str | None]


def secret_name(stage: str, kind: str) -> str:
    if kind not in SECRET_NAMES:
        raise ValueError(f"unknown secret {kind!r}")
    return f"stoflow/{stage}/{kind}"


def _client() -> Any:
    from stoflow.aws import client

    return client("secretsmanager")


def _current(secret_id: str) -> dict[str, Any] | None:
    """The secret's JSON value, or None when it has none yet (created empty by the template)."""
    secrets = _client()
    try:
        return json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    except secrets.exceptions.ResourceNotFoundException:
        return None


def _put(secret_id: str, value: dict[str, Any]) -> None:
    _client().put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))


def rotate_jwt_keys(secret_id: str) -> str:
    """A new signing key; the current one stays accepted as previous. Returns the new key id."""
    from stoflow.auth.keys import rotate_secret_keys

    return rotate_secret_keys(secret_id).current.kid


def rotate_token_keys(secret_id: str, kept: int = TOKEN_KEYS_KEPT) -> int:
    """A new Fernet key first, the older ones after it (at most `kept` in all). Returns the count."""
    from cryptography.fernet import Fernet

    existing = (_current(secret_id) or {}).get("keys") or []
    keys = [Fernet.generate_key().decode(), *existing][:kept]
    _put(secret_id, {"keys": keys})
    return len(keys)


@dataclass(frozen=True)
class InitResult:
    name: str
    outcome: str  # "filled", "kept" (had a value), "skipped" (nothing to fill it with)
    note: str = ""

    def line(self) -> str:
        return f"{self.name}: {self.outcome}" + (f" ({self.note})" if self.note else "")


def _app_keys(kind: str, settings: Any, ask: Ask | None) -> dict[str, str] | None:
    if kind == "ebay-app":
        fields = {
            "client_id": ("STOFLOW_EBAY_CLIENT_ID", settings.ebay_client_id),
            "client_secret": ("STOFLOW_EBAY_CLIENT_SECRET", settings.ebay_client_secret),
            "ru_name": ("STOFLOW_EBAY_RU_NAME", settings.ebay_ru_name),
        }
    else:
        fields = {
            "keystring": ("STOFLOW_ETSY_KEYSTRING", settings.etsy_keystring),
            "shared_secret": ("STOFLOW_ETSY_SHARED_SECRET", settings.etsy_shared_secret),
        }
    value: dict[str, str] = {}
    for field, (variable, given) in fields.items():
        answer = given or (ask(f"{kind} {field} ({variable}): ") if ask else None)
        if not answer:
            return None
        value[field] = answer
    if kind == "ebay-app":
        value["environment"] = settings.ebay_environment
    return value


def init_secrets(stage: str, settings: Any, ask: Ask | None = None) -> list[InitResult]:
    """Fill the stage's empty secrets; never overwrite one that has a value."""
    results = []
    for kind in SECRET_NAMES:
        name = secret_name(stage, kind)
        if _current(name) is not None:
            results.append(InitResult(name, "kept", "already has a value"))
            continue
        if kind == "jwt-keys":
            results.append(InitResult(name, "filled", f"signing key {rotate_jwt_keys(name)}"))
        elif kind == "marketplace-token-keys":
            rotate_token_keys(name)
            results.append(InitResult(name, "filled", "one Fernet key"))
        else:
            value = _app_keys(kind, settings, ask)
            if value is None:
                variables = (
                    "STOFLOW_EBAY_CLIENT_ID, _CLIENT_SECRET, _RU_NAME"
                    if kind == "ebay-app"
                    else ("STOFLOW_ETSY_KEYSTRING, STOFLOW_ETSY_SHARED_SECRET")
                )
                results.append(InitResult(name, "skipped", f"set {variables} and run init again"))
                continue
            _put(name, value)
            results.append(InitResult(name, "filled"))
    return results
