"""The queue messages: a job's (only {tenant_id, job_id, marketplace}: the job row is the truth),
and a tenant's due scheduled work handed to the workers (DueMessage)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from stoflow.db.tenancy import validate_tenant_id


class MalformedJobMessage(ValueError):
    """A message we cannot act on: it goes back to the queue and, after maxReceiveCount, the DLQ."""


@dataclass(frozen=True)
class JobMessage:
    tenant_id: int
    job_id: int
    marketplace: str

    def body(self) -> str:
        return json.dumps({"tenant_id": self.tenant_id, "job_id": self.job_id, "marketplace": self.marketplace})

    @property
    def group_id(self) -> str:
        # FIFO order per tenant and marketplace; parallel across them.
        return f"{self.tenant_id}:{self.marketplace}"

    def dedup_id(self, suffix: str) -> str:
        return f"{self.job_id}-{suffix}"

    @classmethod
    def parse(cls, body: str) -> JobMessage:
        try:
            data = json.loads(body)
            job_id = data["job_id"]
            marketplace = data["marketplace"]
            if not isinstance(job_id, int) or isinstance(job_id, bool) or job_id < 1:
                raise ValueError(f"bad job id {job_id!r}")
            if not isinstance(marketplace, str):
                raise ValueError("bad marketplace")
            return cls(validate_tenant_id(data["tenant_id"]), job_id, marketplace)
        except Exception as exc:
            raise MalformedJobMessage(f"not a job message: {body[:200]!r} ({exc})") from exc


@dataclass(frozen=True)
class DueMessage:
    """One tenant's due scheduled work of one kind, handed to the job workers when a scheduled
    run finds more tenants due than it should visit itself (stoflow.jobs.due). `version` is the
    due row's version when leased: the visit settles the row only if nobody marked it since."""

    kind: str
    tenant_id: int
    version: int

    def body(self) -> str:
        return json.dumps({"due": self.kind, "tenant_id": self.tenant_id, "version": self.version})

    @property
    def group_id(self) -> str:
        # Its own group: never held behind the tenant's jobs, nor holding them.
        return f"{self.tenant_id}:due:{self.kind}"

    def dedup_id(self, suffix: str) -> str:
        return f"due-{self.kind}-{self.tenant_id}-{self.version}-{suffix}"

    @classmethod
    def parse(cls, body: str) -> DueMessage | None:
        """The message if `body` is one (None: not a due message, maybe a job's)."""
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict) or "due" not in data:
            return None
        try:
            kind, version = data["due"], data["version"]
            if not isinstance(kind, str) or not isinstance(version, int) or isinstance(version, bool):
                raise ValueError("bad kind or version")
            return cls(kind, validate_tenant_id(data["tenant_id"]), version)
        except Exception as exc:
            raise MalformedJobMessage(f"not a due-work message: {body[:200]!r} ({exc})") from exc
