"""Live job status: the processor tells a notifier whenever a job changes state.

Where the WebSocket API is configured (STOFLOW_WS_CALLBACK_URL), the notifier pushes each change
to the tenant's dashboards; elsewhere changes are only logged. A notifier must never make a job
fail: errors are logged and swallowed there, and only there, because the job's state is already
committed and the dashboard can always re-read it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from stoflow import runtime

if TYPE_CHECKING:
    from stoflow.realtime.connections import ConnectionsClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobStatusEvent:
    tenant_id: int
    job_id: int
    batch_id: int | None
    marketplace: str
    action: str
    product_id: int | None
    status: str
    attempts: int
    error_code: str | None = None
    error_message: str | None = None

    def payload(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("tenant_id")
        return {"type": "job_status", **data}


class JobNotifier(Protocol):
    def job_changed(self, event: JobStatusEvent) -> None: ...


class LoggingNotifier:
    def job_changed(self, event: JobStatusEvent) -> None:
        log.info("job %s of tenant %s is %s", event.job_id, event.tenant_id, event.status)


class DashboardNotifier:
    """Sends each job_status event to every dashboard connection of the job's tenant.

    The tenant's connections are read in a short transaction of their own, and the pushes happen
    after it: a slow or dead connection holds no database connection. One failing push does not
    stop the others (a gone connection is forgotten by the client)."""

    def __init__(self, client: ConnectionsClient | None = None) -> None:
        from stoflow.realtime.connections import ConnectionsClient

        self.client = client or ConnectionsClient()

    def job_changed(self, event: JobStatusEvent) -> None:
        from stoflow.realtime.presence import connections_of

        payload = event.payload()
        for connection in connections_of(event.tenant_id, "dashboard"):
            try:
                self.client.send(connection.connection_id, payload)
            except Exception:
                log.exception("job_status push to %s failed", connection.connection_id)


def _notifier_from_settings() -> JobNotifier:
    from stoflow.config import get_settings

    return DashboardNotifier() if get_settings().ws_callback_url else LoggingNotifier()


NOTIFIER: runtime.Part[JobNotifier] = runtime.Part("job notifier", _notifier_from_settings)


def notify(event: JobStatusEvent) -> None:
    try:
        runtime.get(NOTIFIER).job_changed(event)
    except Exception:  # the job is committed; a lost push costs a refresh, never the job
        log.exception("job status notification failed for job %s", event.job_id)
