"""Live job status: whoever changes a job's state tells the notifier, inside the unit of work
that changes it.

Where the WebSocket API is configured (STOFLOW_WS_CALLBACK_URL), the notifier pushes each change
to the tenant's dashboards; elsewhere changes are only logged. The dashboards' connections are
read in the job's own transaction (one statement per unit of work, however many jobs it
changes; no transaction of its own; the worker's claim and finish return them in their own
statement) and the pushes leave once it is committed and its
connection given back (stoflow.db.tenancy.after_unit_of_work): commit, then send, and a slow
gateway never holds the container's only database connection. Work rolled back pushes nothing.

A push must never make a job fail: push errors are logged and swallowed, and only those, because
the job's state is already committed and the dashboard can always re-read it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from stoflow import runtime
from stoflow.db.tenancy import after_unit_of_work

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
    # Whether job_changed reads the tenant's dashboards (the worker then reads them with the job).
    reads_dashboards: bool

    def job_changed(self, session: Session, event: JobStatusEvent) -> None:
        """Called in the unit of work that changed the job, before it commits."""
        ...


class LoggingNotifier:
    reads_dashboards = False

    def job_changed(self, session: Session, event: JobStatusEvent) -> None:
        after_unit_of_work(
            session, lambda: log.info("job %s of tenant %s is %s", event.job_id, event.tenant_id, event.status)
        )


class DashboardNotifier:
    """Sends each job_status event to every dashboard connection of the job's tenant, after the
    unit of work that changed the job. One failing push does not stop the others (a gone
    connection is forgotten by the client)."""

    # The worker reads the dashboards with the job it claims or finishes
    # (stoflow.repositories.live_dashboards).
    reads_dashboards = True

    def __init__(self, client: ConnectionsClient | None = None) -> None:
        from stoflow.realtime.connections import ConnectionsClient

        self.client = client or ConnectionsClient()

    def job_changed(self, session: Session, event: JobStatusEvent) -> None:
        from stoflow.repositories.live_dashboards import dashboards_known

        recipients = dashboards_known(session, event.tenant_id)
        if recipients:
            payload = event.payload()
            after_unit_of_work(session, lambda: self._push(recipients, payload))

    def _push(self, recipients: list[str], payload: dict[str, Any]) -> None:
        for connection_id in recipients:
            try:
                self.client.send(connection_id, payload)
            except Exception:
                log.exception("job_status push to %s failed", connection_id)


def _notifier_from_settings() -> JobNotifier:
    from stoflow.config import get_settings

    return DashboardNotifier() if get_settings().ws_callback_url else LoggingNotifier()


NOTIFIER: runtime.Part[JobNotifier] = runtime.Part("job notifier", _notifier_from_settings)


def notify(session: Session, event: JobStatusEvent) -> None:
    """Tell the tenant's dashboards about `event` once `session` (a tenant_session or
    shared_session unit of work, the one that changed the job) has committed. A failure to read
    the recipients is the unit of work's own (its transaction is then unusable anyway)."""
    runtime.get(NOTIFIER).job_changed(session, event)
