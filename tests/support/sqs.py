"""An SQS event source for tests: what Lambda's poller does with a queue and a function.

Receives a batch, builds the real `aws:sqs` event, calls the handler, deletes only the records
that did not come back in batchItemFailures, and lets the failed ones become visible again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {key: str(value) for key, value in message.get("Attributes", {}).items()},
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


# moto's queues are plain Python objects with no lock of their own: one call at a time.
_moto = threading.Lock()


def deliver_once(
    sqs: Any, queue_url: str, handler: Callable[[dict[str, Any], Any], dict[str, Any]], *, wait_s: int = 0
) -> tuple[int, set[str]]:
    """One poll: returns (records delivered, ids reported failed)."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # SQS hands out a FIFO group's messages atomically and settles each receipt on its own: moto
    # does neither under threads (two pollers at once could each take a message of one group, and
    # a delete racing a receive can leave a message in flight that nobody holds), so every call to
    # it is made one at a time.
    with _moto:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
    if not received:
        return 0, set()
    event = {"Records": [sqs_record(m, arn, sqs.meta.region_name) for m in received]}
    try:
        response = handler(event, None)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    except Exception:  # a function error: Lambda returns the whole batch to the queue
        failed = {m["MessageId"] for m in received}
    for message in received:
        with _moto:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(received), failed
