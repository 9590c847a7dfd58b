"""argon2id password hashes, and a decoy verification so unknown emails cost what known ones do."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

_decoy_lock = threading.Lock()
_decoy_hash: str | None = None


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    from stoflow.config import get_settings

    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def decoy_verify(password: str) -> None:
    """Spend one argon2id computation with our parameters, as verifying a real hash would.

    The first call hashes (the same cost as one verify) and keeps the result as the decoy;
    later calls verify against it."""
    global _decoy_hash
    if _decoy_hash is None:
        with _decoy_lock:
            if _decoy_hash is None:
                _decoy_hash = hash_password(password)
                return
    verify_password(_decoy_hash, password)


def reset() -> None:
    """Forget the hasher and decoy (tests that change the argon2 settings)."""
    global _decoy_hash
    hasher.cache_clear()
    _decoy_hash = None
