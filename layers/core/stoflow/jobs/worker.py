"""The job worker's SQS entry: Powertools FIFO batch processing with partial batch failures.

Only messages whose job state could not be read or recorded are reported failed (they come back,
and after maxReceiveCount go to the DLQ). A job that failed is a recorded, successful delivery.
With skip_group_on_error, a failure holds back only the later messages of its own group
(tenant:marketplace), keeping FIFO order without blocking other tenants.

The invocation's remaining time is watched: a job is claimed only if its marketplace's longest
handler timeout, plus the time to record the outcome, still fits. What is not run is reported
failed and handed back at once (ChangeMessageVisibility to 0) rather than after the queue's
visibility timeout; a message that failed comes back after FAILED_VISIBILITY_S, so a poison
message reaches the DLQ within maxReceiveCount x FAILED_VISIBILITY_S.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from stoflow.jobs.messages import DueMessage, JobMessage, MalformedJobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor

if TYPE_CHECKING:
    from stoflow.jobs.due import Visitor

log = logging.getLogger(__name__)

# Kept back after a handler's deadline: the finish transaction and the job_status push.
FINISH_MARGIN_S = 10.0
# When a message reported failed is delivered again: at once if it never ran (no time left, or
# held behind a failure of its group), after this many seconds if it failed.
HANDED_BACK_VISIBILITY_S = 0
FAILED_VISIBILITY_S = 30


class OutOfTime(Exception):
    """Not enough of the invocation left to run this job: handed back, untouched."""


def remaining_s(context: Any) -> float | None:
    """Seconds the invocation has left (None without a Lambda context: no limit)."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return None if remaining_ms is None else remaining_ms() / 1000.0


def handle_record(
    record: Any, processor: MarketplaceJobProcessor, context: Any = None, visits: Mapping[str, Visitor] | None = None
) -> str:
    due = DueMessage.parse(record.body)
    if due is not None:  # a scheduled run handed this tenant's due work to the workers
        from stoflow.jobs.due import handle_message

        if visits is None:
            raise MalformedJobMessage(f"no visit for due work here: {record.body[:200]!r}")
        return handle_message(due, visits)
    message = JobMessage.parse(record.body)
    left = remaining_s(context)
    if left is None:
        return processor.process(message)
    needed = processor.time_needed_s(message.marketplace) + FINISH_MARGIN_S
    if left < needed:
        raise OutOfTime(f"{left:.0f} s left, a {message.marketplace} job may need {needed:.0f} s")
    return processor.process(message, time_left_s=left - FINISH_MARGIN_S)


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


def handle_batch(
    event: dict[str, Any],
    context: Any,
    processor: MarketplaceJobProcessor,
    visits: Mapping[str, Visitor] | None = None,
) -> dict[str, Any]:
    """Run the batch's jobs with `processor`, and the due work scheduled runs handed over with
    `visits` (stoflow.services.jobs gives the container's)."""
    from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

    mark_received(list(event.get("Records") or []))

    batch = SqsFifoPartialProcessor(skip_group_on_error=True)
    # A batch whose every record failed is still answered with its failures (the default raises,
    # and the whole batch would wait out the queue's visibility timeout).
    batch.raise_on_entire_batch_failure = False
    response = process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(record, processor, context, visits),
        processor=batch,
        context=context,
    )
    failed_ids = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    if failed_ids:
        hand_back(event.get("Records", []), failed_ids, set(_errored(batch)))
    return response


def _errored(batch: Any) -> Iterable[str]:
    """Message ids of the records that ran and failed (not those out of time or held behind a
    failure of their group)."""
    from aws_lambda_powertools.utilities.batch.exceptions import (
        SQSFifoCircuitBreakerError,
        SQSFifoMessageGroupCircuitBreakerError,
    )

    not_run = (OutOfTime, SQSFifoCircuitBreakerError, SQSFifoMessageGroupCircuitBreakerError)
    for exception_info, record in zip(batch.exceptions, batch.fail_messages, strict=True):
        if not isinstance(exception_info[1], not_run):
            yield record.message_id


def hand_back(records: list[dict[str, Any]], failed_ids: set[str], errored_ids: set[str]) -> None:
    """Shorten the visibility of the failed records: those that never ran come back at once,
    those that failed after FAILED_VISIBILITY_S (not the queue's full visibility timeout)."""
    from stoflow.config import get_settings

    queue_url = get_settings().jobs_queue_url
    entries = [
        {
            "Id": str(index),
            "ReceiptHandle": record["receiptHandle"],
            "VisibilityTimeout": FAILED_VISIBILITY_S
            if record["messageId"] in errored_ids
            else HANDED_BACK_VISIBILITY_S,
        }
        for index, record in enumerate(records)
        if record.get("messageId") in failed_ids and record.get("receiptHandle")
    ]
    if not entries or not queue_url:
        return
    from stoflow.aws import client

    sqs = client("sqs")
    log.info(
        "handing back %d messages (%d failed, %d not run)",
        len(entries),
        len(errored_ids & failed_ids),
        len(entries) - len(errored_ids & failed_ids),
    )
    for start in range(0, len(entries), 10):  # ChangeMessageVisibilityBatch takes at most ten
        try:
            result = sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries[start : start + 10])
        except Exception:
            # The batch's answer stands: these messages then come back after the queue's own
            # visibility timeout instead (slower, never lost).
            log.warning("could not shorten the visibility of %d messages", len(entries), exc_info=True)
            return
        for failure in result.get("Failed", []):
            log.warning("visibility not changed for one message: %s", failure.get("Code"))
