"""The job worker's SQS entry: Powertools FIFO batch processing with partial batch failures.

Only messages whose job state could not be read or recorded are reported failed (they come back,
and after maxReceiveCount go to the DLQ). A job that failed is a recorded, successful delivery.
With skip_group_on_error, a failure holds back only the later messages of its own group
(tenant:marketplace), keeping FIFO order without blocking other tenants.
"""

from __future__ import annotations

import logging
from typing import Any

from stoflow.jobs.messages import JobMessage
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


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

    return process_partial_response(
        event=event,
        record_handler=handle_record,
        processor=SqsFifoPartialProcessor(skip_group_on_error=True),
        context=context,
    )
