"""Jobs per second through the worker (Powertools FIFO batches of 10, a no-op handler) against the
floor of the same SQL statements sent raw, in one run."""

from __future__ import annotations

import json
import time
from typing import ClassVar

from bench.common import figure, scratch_database
from bench.requests import watching
from bench.tenancy import raw_connection
from stoflow import runtime
from stoflow.db.engine import ENGINE
from stoflow.db.migrations import migrate_shared
from stoflow.db.provisioning import create_tenant
from stoflow.jobs import service
from stoflow.jobs.handlers import HandlerRegistry, JobContext, JobOutcome
from stoflow.jobs.notifier import NOTIFIER, DashboardNotifier
from stoflow.jobs.processor import MarketplaceJobProcessor
from stoflow.jobs.queue import QUEUE
from stoflow.realtime.connections import ConnectionsClient
from stoflow.services.jobs import PROCESSOR, handle_batch

JOBS = 500
WIRE_JOBS = 20
TENANT = 1


class NoopHandler:
    marketplace: ClassVar[str] = "ebay"
    action: ClassVar[str] = "noop"
    idempotent: ClassVar[bool] = True
    needs_product: ClassVar[bool] = False
    timeout_s: ClassVar[int] = 60

    def run(self, context: JobContext) -> JobOutcome:
        return JobOutcome()


class DiscardQueue:
    def send(self, messages: object) -> list:
        return []


def enqueue(engine, count: int) -> list[int]:
    from stoflow.db.tenancy import tenant_session

    request = service.JobRequest("ebay", "noop")
    ids: list[int] = []
    with tenant_session(TENANT, engine=engine) as session:
        for _ in range(count):
            enqueued = service.enqueue_in_session(session, TENANT, request, validate=False)
            ids.extend(job.id for job in enqueued.jobs)
    return ids


def records(ids: list[int]) -> list[dict]:
    return [
        {
            "messageId": f"m-{job_id}",
            "receiptHandle": "r",
            "eventSource": "aws:sqs",
            "body": json.dumps({"tenant_id": TENANT, "job_id": job_id, "marketplace": "ebay"}),
            "attributes": {"MessageGroupId": f"{TENANT}:ebay", "ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSourceARN": "arn:aws:sqs:eu-west-3:1:jobs.fifo",
            "awsRegion": "eu-west-3",
        }
        for job_id in ids
    ]


def through_worker(ids: list[int]) -> float:
    started = time.perf_counter()
    all_records = records(ids)
    for start in range(0, len(all_records), 10):
        response = handle_batch({"Records": all_records[start : start + 10]}, None)
        assert not response["batchItemFailures"], response
    return time.perf_counter() - started


def raw_floor(url, ids: list[int]) -> float:
    """The statements a job costs, as plain SQL: claim, then finish with the batch counter."""
    schema = f"user_{TENANT}"
    connection = raw_connection(url)
    cursor = connection.cursor()
    started = time.perf_counter()
    for job_id in ids:
        cursor.execute(
            f"UPDATE {schema}.marketplace_jobs SET status='running', attempts=attempts+1, started_at=now(), "
            f"deadline_at=now() + interval '300 seconds', updated_at=now() WHERE id=%s AND status='pending' "
            f"AND cancel_requested=false AND (next_attempt_at IS NULL OR next_attempt_at <= now()) "
            f"AND (expires_at IS NULL OR expires_at > now()) RETURNING *",
            (job_id,),
        )
        cursor.fetchall()
        connection.commit()
        cursor.execute(
            f"UPDATE {schema}.marketplace_jobs SET status='completed', result='{{}}', finished_at=now(), "
            f"updated_at=now() WHERE id=%s AND status='running' AND attempts=1 RETURNING *",
            (job_id,),
        )
        batch_id = cursor.fetchall()[0][1]
        cursor.execute(
            f"UPDATE {schema}.marketplace_batches SET completed=completed+1, updated_at=now() WHERE id=%s",
            (batch_id,),
        )
        connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    with scratch_database(pool_size=2) as (engine, url):
        migrate_shared(engine)
        create_tenant(TENANT, engine=engine)
        registry = HandlerRegistry()
        registry.register(NoopHandler())
        # The notifier as deployed (the WebSocket API configured), with no dashboard connected.
        notifier = DashboardNotifier(ConnectionsClient("http://gateway.invalid"))
        with (
            runtime.provided(ENGINE, engine),
            runtime.provided(QUEUE, DiscardQueue()),
            runtime.provided(PROCESSOR, MarketplaceJobProcessor(registry, engine=engine)),
            runtime.provided(NOTIFIER, notifier),
        ):
            floor = raw_floor(url, enqueue(engine, JOBS))
            ours = through_worker(enqueue(engine, JOBS))
            ids = enqueue(engine, WIRE_JOBS)
            with watching(engine) as wire:
                wire.recording = True
                for record in records(ids):  # one message per invocation, as a quiet queue delivers
                    assert not handle_batch({"Records": [record]}, None)["batchItemFailures"]
                wire.recording = False
    figure(
        f"worker, {JOBS} no-op jobs (per job)",
        ours / JOBS,
        "the same SQL statements raw (per job)",
        floor / JOBS,
        "report",
    )
    print(f"{'':44} {JOBS / ours:10.0f} jobs/s   vs {'':36} {JOBS / floor:10.0f} jobs/s")
    print(
        f"    worker: {len(wire.statements) / WIRE_JOBS:.0f} statements, {wire.transactions / WIRE_JOBS:.0f} "
        f"transactions, {wire.round_trips / WIRE_JOBS:.0f} round trips per job (no dashboard connected)"
    )


if __name__ == "__main__":
    main()
