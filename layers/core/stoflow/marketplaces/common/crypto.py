"""Marketplace tokens at rest: Fernet, through MultiFernet so keys rotate without downtime.

Keys are a list, newest first: the first encrypts, every one decrypts. Rotation: put a new key
first and keep the old ones; every token refresh re-encrypts with the new key (MultiFernet.rotate),
so once every connection has refreshed (eBay access tokens live 2 h, Etsy 1 h; the scheduled
refresh touches every connection) the old key can be dropped.

On AWS the keys come from a Secrets Manager secret {"keys": ["<urlsafe base64>", ...]}, re-read
after a few minutes or when a ciphertext names no key we hold (another container may already
write with a newer key). Locally one key is generated under <data_dir>/keys/fernet.json.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from stoflow import runtime
from stoflow.config import get_settings

KEYS_CACHE_TTL_S = 300.0


class TokenCipher:
    def __init__(self, keys: list[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        return self._fernet.decrypt(ciphertext.encode()).decode()

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext, encrypted with the current (first) key."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def _local_keys(data_dir: Path) -> list[str]:
    path = data_dir / "keys" / "fernet.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".fernet.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps({"keys": [Fernet.generate_key().decode()]}).encode())
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process created it first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return list(json.loads(path.read_text())["keys"])


def _keys(*, reload: bool = False) -> tuple[str, ...]:
    """The keys, newest first: from the secret through Powertools Parameters (re-read after
    KEYS_CACHE_TTL_S, or at once with `reload`), or the local file."""
    settings = get_settings()
    if settings.marketplace_token_keys_secret_arn:
        from stoflow.aws import secret_json

        value = secret_json(settings.marketplace_token_keys_secret_arn, max_age_s=KEYS_CACHE_TTL_S, force=reload)
        return tuple(value["keys"])
    return tuple(_local_keys(Path(settings.data_dir)))


# The ciphers built in this container, by key set: the secret is re-read after KEYS_CACHE_TTL_S
# and a rotation brings a new key set, hence a new cipher.
CIPHERS: runtime.Part[dict[tuple[str, ...], TokenCipher]] = runtime.Part("token ciphers", dict)


def get_cipher(*, reload: bool = False) -> TokenCipher:
    keys = _keys(reload=reload)
    ciphers = runtime.get(CIPHERS)
    cipher = ciphers.get(keys)
    if cipher is None:
        if len(ciphers) >= 4:  # rotations are rare: keep the last few, not every key set ever seen
            ciphers.clear()
        cipher = ciphers[keys] = TokenCipher(list(keys))
    return cipher


def encrypt(plaintext: str) -> str:
    return get_cipher().encrypt(plaintext)


def decrypt(ciphertext: str) -> str:
    try:
        return get_cipher().decrypt(ciphertext)
    except InvalidToken:
        # Written with a key newer than ours: reload the keys once before giving up.
        return get_cipher(reload=True).decrypt(ciphertext)


def rotate(ciphertext: str) -> str:
    try:
        return get_cipher().rotate(ciphertext)
    except InvalidToken:
        return get_cipher(reload=True).rotate(ciphertext)
