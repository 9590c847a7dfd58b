"""The queue message: only {tenant_id, job_id}. The job row is the truth."""

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
