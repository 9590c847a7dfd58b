"""Scheduled (every minute): reap attempts whose worker died, send messages that never left."""

from __future__ import annotations

from typing import Any

from stoflow.jobs.maintenance import run_all
from stoflow.jobs.service import registry
from stoflow.observability import traced_handler
from stoflow.realtime.notifier import install

# Reaped and reconciled jobs reach the tenant's dashboards too.
install()


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_all(registry())
