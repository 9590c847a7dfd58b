"""argon2id password hashes, and a decoy verification so unknown emails cost what known ones do."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from stoflow import runtime

if TYPE_CHECKING:
    from argon2 import PasswordHasher


def _hasher_from_settings() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    from stoflow.config import get_settings

    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


class _Decoy:
    """The hash decoy verifications check against (made by the first one)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hash: str | None = None


HASHER: runtime.Part[PasswordHasher] = runtime.Part("password hasher", _hasher_from_settings)
DECOY: runtime.Part[_Decoy] = runtime.Part("password decoy", _Decoy)


def hasher() -> PasswordHasher:
    return runtime.get(HASHER)


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
    decoy = runtime.get(DECOY)
    if decoy.hash is None:
        with decoy.lock:
            if decoy.hash is None:
                decoy.hash = hash_password(password)
                return
    verify_password(decoy.hash, password)
