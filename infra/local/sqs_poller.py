"""SQS event sources: the template's SQS events, polled and delivered as Lambda delivers them.

One thread per event source: ReceiveMessage (long poll, up to BatchSize messages, every system
attribute), one invocation with a real-shaped batch (Records with messageId, receiptHandle, body,
attributes incl. MessageGroupId and ApproximateReceiveCount, md5OfBody, eventSource aws:sqs,
eventSourceARN, awsRegion), then, as Lambda's event source mapping does:

- the handler returned normally without ReportBatchItemFailures: every message is deleted;
- with ReportBatchItemFailures: only the messages not named in batchItemFailures are deleted; an
  itemIdentifier that is empty or names no message of the batch fails the whole batch;
- the handler raised (or timed out): nothing is deleted.

What is not deleted comes back after its visibility timeout and, after maxReceiveCount receives,
moto moves it to the DLQ (the queue's redrive policy). The one local liberty: a failed message is
made visible again after `retry_delay_s` (default 10 s) rather than the queue's visibility timeout
(24 minutes for the jobs queue), so a retry is seen while you watch. Set it to None to wait the
full timeout.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Any

from infra.local.functions import FunctionRuntime
from infra.local.intrinsics import Resolver
from infra.local.template import Template
from stoflow.config import get_settings

log = logging.getLogger("stoflow.local.sqs")

_SYSTEM_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
)


@dataclass(frozen=True)
class EventSource:
    function_id: str
    event_name: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool = True


def event_sources(template: Template, resolver: Resolver) -> list[EventSource]:
    sources = []
    for function in template.functions:
        for event in function.events_of_type("SQS"):
            props = event.properties
            arn = resolver.resolve(props.get("Queue"))
            url = next(
                (
                    u
                    for (lid, attr), u in resolver.attributes.items()
                    if attr == "QueueUrl" and resolver.attributes.get((lid, "Arn")) == arn
                ),
                None,
            )
            if arn is None or url is None:
                raise RuntimeError(f"{function.logical_id}.{event.name}: its queue is not in the local cloud")
            sources.append(
                EventSource(
                    function_id=function.logical_id,
                    event_name=event.name,
                    queue_url=url,
                    queue_arn=arn,
                    batch_size=int(props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                    enabled=bool(props.get("Enabled", True)),
                )
            )
    return sources


def record_for(message: dict[str, Any], source: EventSource, region: str) -> dict[str, Any]:
    attributes = {
        name: value for name, value in (message.get("Attributes") or {}).items() if name in _SYSTEM_ATTRIBUTES
    }
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": attributes,
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": source.queue_arn,
        "awsRegion": region,
    }


def failed_ids(result: Any, batch_ids: list[str], report_failures: bool) -> set[str]:
    """Which messages of the batch count as failed, given the handler's return value."""
    if not report_failures:
        return set()
    if result is None or result == {} or not isinstance(result, dict):
        return set()  # no (or an empty) response is a full success
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            log.warning("batchItemFailures names %r, not a message of the batch: the whole batch fails", identifier)
            return set(batch_ids)
        failed.add(identifier)
    return failed


class SqsPoller:
    """A Part: one polling thread per SQS event source of the template."""

    name = "sqs"

    def __init__(
        self,
        runtime: FunctionRuntime,
        template: Template,
        resolver: Resolver,
        client: Any,
        retry_delay_s: int | None = 10,
        wait_time_s: int = 1,
    ) -> None:
        self.runtime = runtime
        self.template = template
        self.resolver = resolver
        self.client = client
        self.retry_delay_s = retry_delay_s
        self.wait_time_s = wait_time_s
        self.sources: list[EventSource] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.sources = [s for s in event_sources(self.template, self.resolver) if s.enabled]
        self._stop.clear()
        for source in self.sources:
            thread = threading.Thread(target=self._run, args=(source,), name=f"sqs-{source.function_id}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def describe(self) -> list[str]:
        return [
            f"SQS poller   {s.queue_url} -> {s.function_id} (batch {s.batch_size}"
            f"{', partial failures' if s.report_batch_item_failures else ''})"
            for s in self.sources
        ]

    def poll_once(self, source: EventSource) -> tuple[int, int]:
        """One receive and, if anything came, one invocation; (delivered, deleted)."""
        answer = self.client.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            WaitTimeSeconds=self.wait_time_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages") or []
        if not messages:
            return 0, 0
        region = get_settings().aws_region
        records = [record_for(message, source, region) for message in messages]
        batch_ids = [record["messageId"] for record in records]
        try:
            result = self.runtime.invoke(source.function_id, {"Records": records})
        except Exception:
            log.exception(
                "%s failed on a batch of %d: every message stays in the queue", source.function_id, len(records)
            )
            failed = set(batch_ids)
        else:
            failed = failed_ids(result, batch_ids, source.report_batch_item_failures)
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.client.delete_message_batch(
                QueueUrl=source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )
        if failed and self.retry_delay_s is not None:
            for record in records:
                if record["messageId"] in failed:
                    self.client.change_message_visibility(
                        QueueUrl=source.queue_url,
                        ReceiptHandle=record["receiptHandle"],
                        VisibilityTimeout=self.retry_delay_s,
                    )
        log.info(
            "%s: batch of %d delivered, %d deleted, %d failed", source.function_id, len(records), len(done), len(failed)
        )
        return len(records), len(done)

    def _run(self, source: EventSource) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(source)
            except Exception:
                log.exception("polling %s failed", source.queue_url)
                self._stop.wait(2.0)
