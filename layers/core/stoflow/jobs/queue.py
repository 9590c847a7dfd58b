"""The jobs queue adapter: SQS FIFO. Small and replaceable (tests use a fake or moto).

MessageDeduplicationId is the job id plus the send's sequence: SQS drops a FIFO message whose
dedup id it saw in the last five minutes, so a bare job id would silently swallow a retry or a
sweeper re-send. Duplicate deliveries are harmless anyway: the worker's atomic claim runs a job
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stoflow import runtime
from stoflow.jobs.messages import DueMessage, JobMessage

Message = JobMessage | DueMessage


class JobQueue(Protocol):
    def send(self, messages: Sequence[tuple[Message, str]]) -> list[Message]:
        """Send (message, dedup suffix) pairs; returns the messages that were NOT accepted."""
        ...


class SqsJobQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, messages: Sequence[tuple[Message, str]]) -> list[Message]:
        from stoflow.aws import client

        sqs = client("sqs")
        failed: list[Message] = []
        for start in range(0, len(messages), 10):  # SendMessageBatch takes at most ten
            chunk = messages[start : start + 10]
            entries = [
                {
                    "Id": str(index),
                    "MessageBody": message.body(),
                    "MessageGroupId": message.group_id,
                    "MessageDeduplicationId": message.dedup_id(suffix),
                }
                for index, (message, suffix) in enumerate(chunk)
            ]
            response = sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed.extend(chunk[int(entry["Id"])][0] for entry in response.get("Failed", []))
        return failed


def _queue_from_settings() -> JobQueue:
    from stoflow.config import get_settings

    url = get_settings().jobs_queue_url
    if not url:
        raise RuntimeError("STOFLOW_JOBS_QUEUE_URL is not configured")
    return SqsJobQueue(url)


QUEUE: runtime.Part[JobQueue] = runtime.Part("jobs queue", _queue_from_settings)


def get_queue() -> JobQueue:
    return runtime.get(QUEUE)
