"""The job system on real PostgreSQL: enqueue, claim once, retries, cancel, reaper, sweeper."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.errors import Conflict, InvalidInput, NotFound
from stoflow.jobs import maintenance, service
from stoflow.jobs.handlers import JobOutcome
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor
from stoflow.models import MarketplaceBatch, MarketplaceJob, MarketplaceListing, Product, PublicationHistory
from stoflow.services import jobs as job_service
from tests.support.jobs import Clock, add_products, product_title

pytestmark = pytest.mark.usefixtures("jobs_world")


def job_row(tenant: int, job_id: int) -> MarketplaceJob:
    with tenant_session(tenant) as session:
        return session.get(MarketplaceJob, job_id)


def batch_row(tenant: int, batch_id: int) -> MarketplaceBatch:
    with tenant_session(tenant) as session:
        return session.get(MarketplaceBatch, batch_id)


def publish(tenant: int, product_ids: list[int], **kwargs) -> service.Enqueued:
    return job_service.enqueue(tenant, service.JobRequest("ebay", "publish", product_ids, **kwargs))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def processor(jobs_world, clock) -> MarketplaceJobProcessor:
    return MarketplaceJobProcessor(jobs_world.registry, clock=clock)


def test_enqueue_commits_then_sends_one_message_per_job(jobs_world, make_tenant):
    tenant = make_tenant()
    products = add_products(tenant, 3)
    enqueued = publish(tenant, products, params={"price": "12.50"})
    assert enqueued.created and enqueued.batch.total == 3
    sent = jobs_world.queue.sent
    assert sorted(m.job_id for m, _ in sent) == sorted(j.id for j in enqueued.jobs)
    assert {m.group_id for m, _ in sent} == {f"{tenant}:ebay"}
    assert len({f"{m.job_id}-{suffix}" for m, suffix in sent}) == 3
    for job in enqueued.jobs:
        row = job_row(tenant, job.id)
        assert row.status == "pending" and row.message_sent_at is not None
        assert row.input == {"price": "12.50"}


def test_a_rolled_back_enqueue_leaves_neither_job_nor_message(jobs_world, make_tenant):
    tenant = make_tenant()
    products = add_products(tenant, 2)
    with pytest.raises(RuntimeError), tenant_session(tenant) as session:
        service.enqueue_in_session(
            session, tenant, service.JobRequest("ebay", "publish", products), handlers=jobs_world.registry
        )
        raise RuntimeError("the caller's transaction fails after the enqueue")
    assert jobs_world.queue.sent == []
    with tenant_session(tenant) as session:
        assert session.scalars(select(MarketplaceJob)).all() == []


def test_a_failed_send_is_recovered_by_the_sweeper(jobs_world, make_tenant, engine):
    tenant = make_tenant()
    jobs_world.queue.broken = True
    enqueued = publish(tenant, add_products(tenant, 2))
    assert all(job_row(tenant, j.id).message_sent_at is None for j in enqueued.jobs)
    jobs_world.queue.broken = False

    # Only this tenant's messages are counted: other tests' tenants share the database.
    def swept(clock: Clock) -> set[int]:
        maintenance.sweep(engine, clock=clock)
        return {m.job_id for m in jobs_world.queue.take() if m.tenant_id == tenant}

    assert swept(Clock()) == set()  # within the grace period: the API may still send
    later = Clock()
    later.advance(120)
    assert swept(later) == {j.id for j in enqueued.jobs}
    assert swept(Clock()) == set()  # sent once, not at every sweep (until it would be lost)


def test_validation_problems(jobs_world, make_tenant):
    tenant, other = make_tenant(), make_tenant()
    mine, theirs = add_products(tenant, 1), add_products(other, 1)
    with pytest.raises(InvalidInput) as caught:
        job_service.enqueue(tenant, service.JobRequest("depop", "publish", mine))
    assert caught.value.code == "unknown_marketplace"
    with pytest.raises(InvalidInput) as caught:
        job_service.enqueue(tenant, service.JobRequest("ebay", "teleport", mine))
    assert caught.value.code == "unknown_action"
    with pytest.raises(InvalidInput) as caught:
        job_service.enqueue(tenant, service.JobRequest("ebay", "publish", []))
    assert caught.value.code == "products_required"
    with pytest.raises(NotFound) as caught:
        job_service.enqueue(tenant, service.JobRequest("ebay", "publish", mine + theirs + [999999]))
    assert caught.value.code == "product_not_found"
    jobs_world.connected["ebay"] = False
    with pytest.raises(Conflict) as caught:
        job_service.enqueue(tenant, service.JobRequest("ebay", "publish", mine))
    assert caught.value.code == "marketplace_not_connected"
    assert jobs_world.queue.sent == []


def test_an_idempotency_key_replays_the_same_batch(jobs_world, make_tenant):
    tenant = make_tenant()
    products = add_products(tenant, 2)
    first = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", products), idempotency_key="k-1")
    reordered = service.JobRequest("ebay", "publish", list(reversed(products)))
    again = job_service.enqueue(tenant, reordered, idempotency_key="k-1")
    assert not again.created and again.batch.id == first.batch.id
    assert [j.id for j in again.jobs] == sorted(j.id for j in first.jobs)
    assert len(jobs_world.queue.sent) == 2
    with pytest.raises(Conflict) as caught:
        job_service.enqueue(tenant, service.JobRequest("ebay", "update", products), idempotency_key="k-1")
    assert caught.value.code == "idempotency_key_reused"


def test_a_duplicate_delivery_runs_the_job_once(jobs_world, make_tenant, processor):
    tenant = make_tenant()
    (job,) = publish(tenant, add_products(tenant, 1)).jobs
    message = JobMessage(tenant, job.id, "ebay")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: processor.process(message), range(4)))
    assert sorted(results) == ["completed", "skipped", "skipped", "skipped"]
    assert processor.process(message) == "skipped"
    assert len(jobs_world.handlers["publish"].calls) == 1
    row = job_row(tenant, job.id)
    assert row.status == "completed" and row.attempts == 1


def test_a_completed_publish_records_history_listing_and_product(jobs_world, make_tenant, processor):
    tenant = make_tenant()
    (product,) = add_products(tenant, 1)
    enqueued = publish(tenant, [product])
    (job,) = enqueued.jobs
    assert processor.process(JobMessage(tenant, job.id, "ebay")) == "completed"
    with tenant_session(tenant) as session:
        history = session.scalars(select(PublicationHistory)).all()
        listing = session.scalars(select(MarketplaceListing)).one()
        assert [(h.action, h.outcome, h.external_id) for h in history] == [("publish", "completed", f"ext-{product}")]
        assert (listing.product_id, listing.status, listing.external_id) == (product, "listed", f"ext-{product}")
        assert session.get(Product, product).status == "published"
        assert session.get(MarketplaceJob, job.id).result == {"echo": {}, "tenant": tenant}
    batch = batch_row(tenant, enqueued.batch.id)
    assert (batch.total, batch.completed, batch.failed) == (1, 1, 0)


def test_retryable_errors_back_off_then_succeed(jobs_world, make_tenant, processor, clock):
    tenant = make_tenant()
    jobs_world.handlers["publish"].script = ["retry", "retry_after"]
    (job,) = publish(tenant, add_products(tenant, 1)).jobs
    message = JobMessage(tenant, job.id, "ebay")

    assert processor.process(message) == "pending"
    row = job_row(tenant, job.id)
    assert row.error_code == "http_503" and row.message_sent_at is None
    assert timedelta(seconds=15) <= row.next_attempt_at - clock.now <= timedelta(seconds=30)
    assert processor.process(message) == "skipped"  # not due yet: the redelivery does nothing

    clock.advance(31)
    assert processor.process(message) == "pending"
    row = job_row(tenant, job.id)
    assert row.next_attempt_at - clock.now >= timedelta(seconds=600)  # Retry-After wins over the backoff

    clock.advance(601)
    assert processor.process(message) == "completed"
    row = job_row(tenant, job.id)
    assert row.attempts == 3 and row.error_code is None


def test_max_attempts_then_failed(jobs_world, make_tenant, processor, clock):
    tenant = make_tenant()
    jobs_world.handlers["publish"].script = ["retry"] * 5
    enqueued = job_service.enqueue(
        tenant, service.JobRequest("ebay", "publish", add_products(tenant, 1), max_attempts=2)
    )
    (job,) = enqueued.jobs
    message = JobMessage(tenant, job.id, "ebay")
    assert processor.process(message) == "pending"
    clock.advance(3600)
    assert processor.process(message) == "failed"
    row = job_row(tenant, job.id)
    assert row.attempts == 2 and "after 2 attempts" in row.error_message
    assert batch_row(tenant, enqueued.batch.id).failed == 1


@pytest.mark.parametrize(
    "step, status, code",
    [
        ("permanent", "failed", "listing_refused"),
        ("unknown", "unknown_outcome", "timeout_after_write"),
        ("boom", "pending", "internal_error"),
    ],
)
def test_error_kinds_map_to_statuses(jobs_world, make_tenant, processor, step, status, code):
    tenant = make_tenant()
    jobs_world.handlers["publish"].script = [step]
    (job,) = publish(tenant, add_products(tenant, 1)).jobs
    assert processor.process(JobMessage(tenant, job.id, "ebay")) == status
    row = job_row(tenant, job.id)
    assert (row.status, row.error_code) == (status, code)
    with tenant_session(tenant) as session:
        outcomes = [h.outcome for h in session.scalars(select(PublicationHistory))]
    assert outcomes == ([] if status == "pending" else [status])


def test_an_expired_job_fails_without_running(jobs_world, make_tenant, processor, clock):
    tenant = make_tenant()
    request = service.JobRequest("ebay", "publish", add_products(tenant, 1), expires_in_s=60)
    (job,) = job_service.enqueue(tenant, request).jobs
    # The expiry was stamped by the real clock at enqueue, after the (slow) tenant creation.
    clock.now = datetime.now(UTC)
    clock.advance(61)
    assert processor.process(JobMessage(tenant, job.id, "ebay")) == "failed"
    assert job_row(tenant, job.id).error_code == "expired"
    assert jobs_world.handlers["publish"].calls == []


def test_cancel_before_the_run(jobs_world, make_tenant, processor):
    tenant = make_tenant()
    enqueued = publish(tenant, add_products(tenant, 2))
    first, second = enqueued.jobs
    with tenant_session(tenant) as session:
        assert service.cancel_job(session, tenant, first.id).status == "cancelled"
    assert processor.process(JobMessage(tenant, first.id, "ebay")) == "skipped"
    assert processor.process(JobMessage(tenant, second.id, "ebay")) == "completed"
    assert len(jobs_world.handlers["publish"].calls) == 1
    batch = batch_row(tenant, enqueued.batch.id)
    assert (batch.completed, batch.cancelled) == (1, 1)
    with pytest.raises(Conflict) as caught, tenant_session(tenant) as session:
        service.cancel_job(session, tenant, second.id)
    assert caught.value.code == "job_finished"


def test_cancel_during_the_run(jobs_world, make_tenant, processor):
    tenant = make_tenant()
    started, release = threading.Event(), threading.Event()

    def careful(context):
        started.set()
        assert release.wait(10)
        if context.cancel_requested():
            from stoflow.jobs.errors import JobCancelled

            raise JobCancelled("cancel seen before the write")
        return JobOutcome()

    jobs_world.handlers["publish"].script = [careful]
    (job,) = publish(tenant, add_products(tenant, 1)).jobs
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(processor.process, JobMessage(tenant, job.id, "ebay"))
        assert started.wait(10)
        with tenant_session(tenant) as session:
            asked = service.cancel_job(session, tenant, job.id)
            assert (asked.status, asked.cancel_requested) == ("running", True)
        release.set()
        assert running.result() == "cancelled"
    assert job_row(tenant, job.id).status == "cancelled"


def test_the_reaper_takes_back_a_dead_workers_jobs(jobs_world, make_tenant, processor, clock, engine):
    from stoflow.repositories import jobs as repository

    tenant = make_tenant()
    enqueued = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 1)))
    deleted = job_service.enqueue(tenant, service.JobRequest("ebay", "delete", add_products(tenant, 1)))
    (publish_job,), (delete_job,) = enqueued.jobs, deleted.jobs
    with tenant_session(tenant) as session:  # two workers claim, then die
        repository.claim(session, publish_job.id, clock.now, timedelta(seconds=60))
        repository.claim(session, delete_job.id, clock.now, timedelta(seconds=60))
    jobs_world.queue.take()

    assert maintenance.reap(jobs_world.registry, engine, clock=clock).requeued == 0  # not overdue yet
    clock.advance(61)
    report = maintenance.reap(jobs_world.registry, engine, clock=clock)
    assert (report.requeued, report.unknown) == (1, 1)
    assert job_row(tenant, delete_job.id).status == "unknown_outcome"  # a write is never repeated blindly
    assert job_row(tenant, publish_job.id).error_code == "worker_lost"

    maintenance.sweep(engine, clock=clock)
    resent = [m for m in jobs_world.queue.take() if (m.tenant_id, m.job_id) == (tenant, publish_job.id)]
    assert len(resent) == 1
    assert processor.process(resent[0]) == "completed"
    assert job_row(tenant, publish_job.id).attempts == 2


def test_a_late_answer_from_a_reaped_attempt_is_dropped(jobs_world, make_tenant, processor, clock, engine):
    tenant = make_tenant()
    started, release = threading.Event(), threading.Event()

    def slow(context):
        started.set()
        assert release.wait(10)
        return JobOutcome(result={"late": True})

    jobs_world.handlers["publish"].script = [slow]
    (job,) = publish(tenant, add_products(tenant, 1)).jobs
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(processor.process, JobMessage(tenant, job.id, "ebay"))
        assert started.wait(10)
        reaper_clock = Clock(clock.now + timedelta(seconds=400))
        assert maintenance.reap(jobs_world.registry, engine, clock=reaper_clock).requeued == 1
        release.set()
        assert running.result() == "lost"
    row = job_row(tenant, job.id)
    assert row.status == "pending" and row.result is None


def test_handlers_only_see_their_own_tenant(jobs_world, make_tenant, processor):
    tenants = [make_tenant() for _ in range(3)]
    seen: list[tuple[int, str]] = []
    jobs_world.handlers["publish"].script = [
        (lambda c: seen.append((c.job.tenant_id, product_title(c))) or JobOutcome()) for _ in range(6)
    ]
    messages = []
    for tenant in tenants:
        for job in publish(tenant, add_products(tenant, 2, prefix=f"t{tenant}")).jobs:
            messages.append(JobMessage(tenant, job.id, "ebay"))
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(processor.process, messages)) == {"completed"}
    assert len(seen) == 6
    assert all(title.startswith(f"t{tenant}:") for tenant, title in seen)


@pytest.mark.parametrize("landed", [True, False])
def test_an_unknown_outcome_is_reconciled_by_a_read_never_rewritten_blindly(
    jobs_world, make_tenant, processor, clock, engine, landed
):
    from tests.support.jobs import ScriptedHandler

    class Deleting(ScriptedHandler):
        def __init__(self) -> None:
            super().__init__("delist", ["unknown"], idempotent=False)
            self.reads = 0

        def reconcile(self, context):
            self.reads += 1
            return JobOutcome(result={"found": "already gone"}, listing_status="delisted") if landed else None

    handler = Deleting()
    jobs_world.registry.register(handler)
    tenant = make_tenant()
    enqueued = job_service.enqueue(tenant, service.JobRequest("ebay", "delist", add_products(tenant, 1)))
    (job,) = enqueued.jobs
    message = JobMessage(tenant, job.id, "ebay")
    assert processor.process(message) == "unknown_outcome"
    assert job_row(tenant, job.id).needs_reconcile

    report = maintenance.run_all(jobs_world.registry, engine, clock=clock)
    assert report["reconciling"] >= 1
    assert any((m.tenant_id, m.job_id) == (tenant, job.id) for m, _ in jobs_world.queue.sent)
    assert processor.process(message) == "completed"
    row = job_row(tenant, job.id)
    assert handler.reads == 1 and not row.needs_reconcile
    assert len(handler.calls) == (1 if landed else 2)  # the write ran again only if it had not landed
    assert batch_row(tenant, enqueued.batch.id).completed == 1
