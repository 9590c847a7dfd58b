"""Scheduled key rotation (the template's Input says which): the JWT signing keys and the Fernet
keys of marketplace tokens, in their Secrets Manager secrets."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.services.key_rotation import rotate


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return rotate((event or {}).get("task"))
