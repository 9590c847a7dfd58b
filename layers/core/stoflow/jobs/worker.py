"""The job worker's SQS entry: Powertools FIFO batch processing with partial batch failures.

Only messages whose job state could not be read or recorded are reported failed (they come back,
and after maxReceiveCount go to the DLQ). A job that failed is a recorded, successful delivery.
With skip_group_on_error, a failure holds back only the later messages of its own group
(tenant:marketplace), keeping FIFO order without blocking other tenants.
"""

from __future__ import annotations

import logging
from typing import Any

from stoflow.jobs.messages import JobMessage, MalformedJobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor

log = logging.getLogger(__name__)

_processor: MarketplaceJobProcessor | None = None


def processor() -> MarketplaceJobProcessor:
    global _processor
    if _processor is None:
        from stoflow.config import get_settings
        from stoflow.jobs.processor import RetryPolicy
        from stoflow.jobs.service import registry

        settings = get_settings()
        _processor = MarketplaceJobProcessor(
            registry(),
            retry=RetryPolicy(settings.jobs_backoff_base_s, settings.jobs_backoff_max_s),
            attempt_timeout_s=settings.jobs_attempt_timeout_s,
        )
    return _processor


def set_processor(value: MarketplaceJobProcessor | None) -> None:
    global _processor
    _processor = value


def handle_record(record: Any) -> str:
    return processor().process(JobMessage.parse(record.body))


def mark_received(records: list[dict[str, Any]]) -> None:
    """Record on their jobs that this batch's messages are in flight, before working through it:
    the sweeper then leaves them alone until the visibility timeout, however long the records
    ahead take (stoflow.repositories.jobs._message_lost). A single record is claimed at once, so
    only batches of several are marked: one short transaction per tenant in the batch.

    A failure here is logged and the batch still runs: the mark only spares a duplicate send, and
    each record's own processing reports what cannot be done."""
    if len(records) < 2:
        return
    from stoflow.db.tenancy import tenant_session
    from stoflow.jobs.processor import utcnow
    from stoflow.repositories import jobs as repository

    by_tenant: dict[int, list[int]] = {}
    for record in records:
        try:
            message = JobMessage.parse(str(record.get("body", "")))
        except MalformedJobMessage:
            continue  # reported by its own processing
        by_tenant.setdefault(message.tenant_id, []).append(message.job_id)
    now = utcnow()
    for tenant_id, job_ids in by_tenant.items():
        try:
            with tenant_session(tenant_id) as session:
                repository.mark_received(session, job_ids, now)
        except Exception:
            log.exception("marking %d received messages of tenant %s failed", len(job_ids), tenant_id)


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

    mark_received(list(event.get("Records") or []))

    return process_partial_response(
        event=event,
        record_handler=handle_record,
        processor=SqsFifoPartialProcessor(skip_group_on_error=True),
        context=context,
    )
