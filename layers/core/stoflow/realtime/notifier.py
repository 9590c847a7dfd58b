"""The dashboard's live job status: stoflow.jobs.notifier.JobNotifier over WebSocket.

Installed by the functions that change jobs (job_worker, scheduled) at import:

    from stoflow.realtime.notifier import install
    install()
"""

from __future__ import annotations

import logging

from stoflow.jobs.notifier import JobStatusEvent, set_notifier
from stoflow.realtime.connections import ConnectionsClient

log = logging.getLogger(__name__)


class WebSocketJobNotifier:
    """Sends each job_status event to every dashboard connection of the job's tenant.

    The tenant's connections are read in a short transaction of their own, and the pushes happen
    after it: a slow or dead connection holds no database connection. One failing push does not
    stop the others (a gone connection is forgotten by the client)."""

    def __init__(self, client: ConnectionsClient | None = None) -> None:
        self.client = client or ConnectionsClient()

    def job_changed(self, event: JobStatusEvent) -> None:
        from stoflow.realtime.presence import connections_of

        payload = event.payload()
        for connection in connections_of(event.tenant_id, "dashboard"):
            try:
                self.client.send(connection.connection_id, payload)
            except Exception:
                log.exception("job_status push to %s failed", connection.connection_id)


def install(client: ConnectionsClient | None = None) -> WebSocketJobNotifier:
    notifier = WebSocketJobNotifier(client)
    set_notifier(notifier)
    return notifier
