"""Live job status: the processor tells a notifier whenever a job changes state.

Until the WebSocket push is plugged in (set_notifier), job changes are only logged. A notifier
must never make a job fail: errors are logged and swallowed there, and only there, because the
job's state is already committed and the dashboard can always re-read it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Protocol

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


_notifier: JobNotifier = LoggingNotifier()


def get_notifier() -> JobNotifier:
    return _notifier


def set_notifier(notifier: JobNotifier) -> None:
    global _notifier
    _notifier = notifier


def notify(event: JobStatusEvent) -> None:
    try:
        _notifier.job_changed(event)
    except Exception:  # the job is committed; a lost push costs a refresh, never the job
        log.exception("job status notification failed for job %s", event.job_id)
