"""Who is calling, and the one rule deciding what a role may do."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from stoflow.errors import Forbidden

ROLE_USER = "user"
ROLE_SUPPORT = "support"
ROLE_ADMIN = "admin"
ROLES = (ROLE_USER, ROLE_SUPPORT, ROLE_ADMIN)

# Methods that change nothing: the only ones a read-only role may call.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    tenant_id: int
    role: str
    session_id: str
    jti: str


def authorize(principal: Principal, method: str, allowed_roles: Collection[str] | None = None) -> None:
    """Refuse the call unless the principal's role is allowed, and refuse support any write.

    Every authenticated route goes through this (via stoflow.api.deps), so `support` stays
    read-only even on routes that forget to name roles."""
    if allowed_roles is not None and principal.role not in allowed_roles:
        raise Forbidden(f"role {principal.role!r} may not call this", code="role_forbidden")
    if principal.role == ROLE_SUPPORT and method.upper() not in SAFE_METHODS:
        raise Forbidden("support accounts are read-only", code="read_only_role")
