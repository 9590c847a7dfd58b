"""The worker behind a real-shaped SQS FIFO event source (moto): partial batch failures, the DLQ,
and 100 jobs over 5 tenants in parallel, in order per tenant, never crossing tenants."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from infra.local.functions import Containers
from stoflow import runtime
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.jobs import service, worker
from stoflow.jobs.handlers import JobOutcome
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor
from stoflow.jobs.queue import QUEUE
from stoflow.models import MarketplaceJob
from stoflow.services import jobs as job_service
from stoflow.services.jobs import PROCESSOR, handle_batch
from tests.support.jobs import add_products, product_title
from tests.support.sqs import deliver_once, sqs_record


@pytest.fixture
def sqs(jobs_world, monkeypatch):
    """A FIFO jobs queue with a DLQ (maxReceiveCount 2) in moto, wired into the job system."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STOFLOW_AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("sqs", region_name=get_settings().aws_region)
        dlq = client.create_queue(QueueName="jobs-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = client.create_queue(
            QueueName="jobs.fifo",
            Attributes={
                "FifoQueue": "true",
                "VisibilityTimeout": "60",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
            },
        )["QueueUrl"]
        monkeypatch.setenv("STOFLOW_JOBS_QUEUE_URL", url)
        runtime.reset()
        fake = runtime.provide(QUEUE, None)  # the real SQS adapter, on moto
        with runtime.provided(PROCESSOR, MarketplaceJobProcessor(jobs_world.registry)):
            yield client, url, dlq
        runtime.provide(QUEUE, fake)
        runtime.reset()


def count(client, url) -> int:
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_partial_batch_reports_only_the_failed_records(sqs, make_tenant):
    client, url, _ = sqs
    tenant, other = make_tenant(), make_tenant()
    (job_a,) = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 1))).jobs
    (job_b,) = job_service.enqueue(other, service.JobRequest("ebay", "publish", add_products(other, 1))).jobs
    received = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    records = [sqs_record(m, "arn:aws:sqs:eu-west-3:123456789012:jobs.fifo", "eu-west-3") for m in received]
    poison = {**records[0], "messageId": "poison-1", "body": '{"tenant_id": "1; DROP", "job_id": 1}'}
    poison["attributes"] = {**poison["attributes"], "MessageGroupId": "garbage"}
    response = handle_batch({"Records": [records[0], poison, records[1]]}, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    for tenant_id, job in ((tenant, job_a), (other, job_b)):
        with tenant_session(tenant_id) as session:
            assert session.get(MarketplaceJob, job.id).status == "completed"


def test_a_poison_message_ends_in_the_dlq(sqs):
    client, url, dlq = sqs
    client.send_message(QueueUrl=url, MessageBody="not json at all", MessageGroupId="x", MessageDeduplicationId="p1")
    failures = 0
    for _ in range(5):
        delivered, failed = deliver_once(client, url, handle_batch)
        failures += len(failed)
        if not delivered:
            break
    assert failures == 2  # maxReceiveCount deliveries, each reported failed
    assert count(client, url) == 0
    (dead,) = client.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert dead["Body"] == "not json at all"


def test_a_hundred_jobs_over_five_tenants_keep_order_and_tenancy(sqs, jobs_world, make_tenant):
    client, url, _ = sqs
    tenants = [make_tenant() for _ in range(5)]
    runs: dict[int, list[int]] = {t: [] for t in tenants}
    crossed: list[str] = []
    lock = threading.Lock()

    def record(context):
        title = product_title(context)
        with lock:
            runs[context.job.tenant_id].append(context.job.id)
            if not title.startswith(f"t{context.job.tenant_id}:"):
                crossed.append(f"tenant {context.job.tenant_id} ran job {context.job.id} on {title!r}")
        return JobOutcome()

    jobs_world.handlers["publish"].script = [record] * 100
    expected: dict[int, list[int]] = {}
    for tenant in tenants:
        products = add_products(tenant, 20, prefix=f"t{tenant}")
        expected[tenant] = []
        for chunk in (products[:10], products[10:]):  # two batches per tenant, queued in order
            enqueued = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", chunk))
            expected[tenant] += [job.id for job in enqueued.jobs]

    containers = Containers()

    def poller() -> None:
        # Four pollers are four worker containers, each with its own connection, as on AWS.
        with containers.serving("JobWorkerFunction"):
            idle = 0
            while idle < 3:
                delivered, failed = deliver_once(client, url, handle_batch)
                assert not failed
                idle = idle + 1 if not delivered else 0

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(poller) for _ in range(4)]:
                future.result()
    finally:
        containers.dispose()

    assert crossed == []
    assert runs == expected  # every job once, in queue order per tenant
    for tenant in tenants:
        with tenant_session(tenant) as session:
            statuses = set(session.scalars(select(MarketplaceJob.status)))
        assert statuses == {"completed"}
    assert count(client, url) == 0


# --- the invocation's remaining time ------------------------------------------------------------


class LambdaContext:
    """What the worker reads of Lambda's context: the remaining time, here moved by the handlers."""

    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_s * 1000)


def receive_all(client, url) -> list[dict]:
    return client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageSystemAttributeNames=["All"]
    ).get("Messages", [])


def batch_of(messages) -> dict:
    arn = "arn:aws:sqs:eu-west-3:123456789012:jobs.fifo"
    return {"Records": [sqs_record(m, arn, "eu-west-3") for m in messages]}


def statuses(tenant_id, jobs) -> list[str]:
    with tenant_session(tenant_id) as session:
        return [session.get(MarketplaceJob, job.id).status for job in jobs]


def test_the_worker_stops_claiming_when_one_more_job_would_not_fit(sqs, jobs_world, make_tenant):
    client, url, _ = sqs
    tenant = make_tenant()
    jobs = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 5))).jobs
    # Each job may take 60 s (the handlers' timeout) + 10 s to record its outcome; each takes 50 s.
    context = LambdaContext(remaining_s=150)

    def slow(job_context):
        context.remaining_s -= 50
        return JobOutcome()

    jobs_world.handlers["publish"].script = [slow] * 5
    messages = receive_all(client, url)
    assert len(messages) == 5
    response = handle_batch(batch_of(messages), context)

    # 150 s: run (100 left), run (50 left), then 50 < 70: the last three are handed back untouched.
    assert statuses(tenant, jobs) == ["completed", "completed", "pending", "pending", "pending"]
    handed_back = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    assert handed_back == [m["MessageId"] for m in messages[2:]]
    for job in jobs[2:]:
        with tenant_session(tenant) as session:
            assert session.get(MarketplaceJob, job.id).attempts == 0
    # Visible again at once (not after the queue's visibility timeout), in order.
    for message in messages[:2]:
        client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    again = receive_all(client, url)
    assert [m["MessageId"] for m in again] == handed_back


def test_with_no_time_for_any_job_the_whole_batch_is_handed_back_not_raised(sqs, jobs_world, make_tenant):
    client, url, _ = sqs
    tenant = make_tenant()
    jobs = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 2))).jobs
    messages = receive_all(client, url)
    response = handle_batch(batch_of(messages), LambdaContext(remaining_s=20))
    assert len(response["batchItemFailures"]) == 2
    assert statuses(tenant, jobs) == ["pending", "pending"]
    assert jobs_world.handlers["publish"].calls == []
    assert len(receive_all(client, url)) == 2


def test_a_failed_message_comes_back_after_the_short_visibility_not_the_queues(sqs, monkeypatch):
    client, url, _ = sqs
    client.send_message(QueueUrl=url, MessageBody="not json at all", MessageGroupId="x", MessageDeduplicationId="p2")
    (message,) = receive_all(client, url)
    # The worker sets the failed message's visibility itself: with 0 it is back at once...
    monkeypatch.setattr(worker, "FAILED_VISIBILITY_S", 0)
    response = handle_batch(batch_of([message]), LambdaContext(remaining_s=200))
    assert response == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    (again,) = receive_all(client, url)
    # ...with the default (30 s, the queue's own here being 60 s) it is not.
    monkeypatch.undo()
    handle_batch(batch_of([again]), LambdaContext(remaining_s=200))
    assert receive_all(client, url) == []


def test_each_handler_runs_within_its_timeout_and_the_time_the_invocation_has_left(
    sqs, jobs_world, make_tenant, monkeypatch
):
    from stoflow.jobs import processor as processor_module
    from stoflow.jobs.deadline import remaining_s, running_until

    client, url, _ = sqs
    tenant = make_tenant()
    job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 3)))
    allowed: list[float] = []
    inside: list[float | None] = []

    def recording(seconds):
        allowed.append(seconds)
        return running_until(seconds)

    def note(job_context):
        inside.append(remaining_s())
        return JobOutcome()

    monkeypatch.setattr(processor_module, "running_until", recording)
    jobs_world.handlers["publish"].script = [note, note, note]
    (first, second, third) = receive_all(client, url)
    handle_batch(batch_of([first]), LambdaContext(remaining_s=900))
    handle_batch(batch_of([second]), LambdaContext(remaining_s=75))
    # Never more than what the invocation has left (less the time to record the outcome).
    runtime.get(PROCESSOR).process(JobMessage.parse(third["Body"]), time_left_s=12.0)
    assert allowed == [60.0, 60.0, 12.0]  # the handler's own 60 s, twice; then only what was left
    assert all(value is not None for value in inside)  # the handler ran under the deadline
    assert remaining_s() is None  # outside a job, no deadline
