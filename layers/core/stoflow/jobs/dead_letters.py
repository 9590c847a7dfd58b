"""The jobs queue's dead-letter queue, for an operator: what is in it, and sending it back.

The DLQ is found from the jobs queue's redrive policy, so only the jobs queue's URL is needed.
Listing receives messages with a short visibility timeout and leaves them in place; redriving
sends each message back to the jobs queue in its own group (FIFO order per tenant and
marketplace is kept) with a fresh deduplication id, and deletes it from the DLQ only once sent.
A redriven message whose job has finished meanwhile is skipped by the worker's atomic claim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DeadLetter", "dead_letter_queue_url", "list_dead_letters", "redrive"]

# How long a listed message stays hidden from other readers (then it is visible again).
LIST_VISIBILITY_S = 30


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    group_id: str
    receive_count: int
    sent_at_ms: int
    body: str

    def describe(self) -> str:
        try:
            data = json.loads(self.body)
            what = f"tenant {data.get('tenant_id')} job {data.get('job_id')} ({data.get('marketplace')})"
        except (ValueError, AttributeError):
            what = f"unreadable body {self.body[:80]!r}"
        return f"{self.message_id}\tgroup {self.group_id}\treceived {self.receive_count}x\t{what}"


def _sqs() -> Any:
    from stoflow.aws import client

    return client("sqs")


def dead_letter_queue_url(queue_url: str) -> str:
    sqs = _sqs()
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    if "RedrivePolicy" not in attributes:
        raise ValueError(f"{queue_url} has no dead-letter queue (no redrive policy)")
    arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    _, _, _, _, account, name = arn.split(":", 5)
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def _receive(dlq_url: str, visibility_s: int) -> Iterator[tuple[DeadLetter, str]]:
    sqs = _sqs()
    while True:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=visibility_s,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        for message in messages:
            attributes = message.get("Attributes", {})
            letter = DeadLetter(
                message_id=message["MessageId"],
                group_id=attributes.get("MessageGroupId", ""),
                receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
                sent_at_ms=int(attributes.get("SentTimestamp", 0)),
                body=message["Body"],
            )
            yield letter, message["ReceiptHandle"]


def list_dead_letters(queue_url: str, limit: int = 100) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    for letter, _ in _receive(dead_letter_queue_url(queue_url), LIST_VISIBILITY_S):
        letters.append(letter)
        if len(letters) >= limit:
            break
    return letters


def redrive(queue_url: str, limit: int | None = None) -> int:
    """Send dead letters back to the jobs queue; returns how many were moved."""
    sqs = _sqs()
    dlq_url = dead_letter_queue_url(queue_url)
    moved = 0
    for letter, receipt in _receive(dlq_url, LIST_VISIBILITY_S):
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=letter.body,
            MessageGroupId=letter.group_id or "redriven",
            MessageDeduplicationId=f"redrive-{letter.message_id}",
        )
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=receipt)
        moved += 1
        if limit is not None and moved >= limit:
            break
    return moved
