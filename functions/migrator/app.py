"""The migrator: `stoflow db upgrade|downgrade|status` on AWS (invoked by deployment, not HTTP).

Event: {"action": "bootstrap-roles"} (once, before the first upgrade: the database roles)
       | {"action": "upgrade"} | {"action": "downgrade", "tenants": REV, "shared": REV}
       | {"action": "status"}; optional "workers", "continue".
"""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.services.migrator import run


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run(event)
