"""The shared index of due work on real PostgreSQL: marks in the transactions that create the
work, leases that two runs never share, settling by version, and the scheduled runs visiting only
the tenants with something due (here, or through the job workers above the fan-out threshold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.jobs import due, maintenance, service, worker
from stoflow.jobs.messages import DueMessage, JobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor
from stoflow.models import DueWork
from stoflow.repositories import due_work as repository
from stoflow.services import jobs as job_service
from tests.support.jobs import Clock, add_products

pytestmark = pytest.mark.usefixtures("jobs_world")


def row(tenant: int, kind: str) -> DueWork | None:
    with shared_session() as session:
        return session.get(DueWork, (tenant, kind))


def lease_of(tenant: int, kind: str, now: datetime) -> repository.Leased:
    """Lease every due row of `kind` and give back all but `tenant`'s (other tests' tenants share
    the database)."""
    with shared_session() as session:
        leased = repository.lease(session, kind, now, now + due.LEASE, 10**6)
        for other in leased:
            if other.tenant_id != tenant:
                repository.settle(session, other.tenant_id, kind, other.version, now)
    [mine] = [item for item in leased if item.tenant_id == tenant]
    return mine


def test_a_mark_keeps_the_earliest_time_and_bumps_the_version(make_tenant):
    tenant = make_tenant()
    now = datetime.now(UTC)
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", now + timedelta(minutes=10))
    first = row(tenant, "purge")
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", now + timedelta(minutes=20))  # later: the earlier stands
    later = row(tenant, "purge")
    assert later.due_at == first.due_at and later.version == first.version + 1
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", now + timedelta(minutes=5))
    assert row(tenant, "purge").due_at == now + timedelta(minutes=5)


def test_a_mark_rolls_back_with_the_work(make_tenant):
    tenant = make_tenant()
    with pytest.raises(RuntimeError), tenant_session(tenant) as session:
        repository.mark_due(session, "purge", datetime.now(UTC))
        raise RuntimeError("the transaction creating the work fails")
    assert row(tenant, "purge") is None


def test_a_leased_row_is_out_of_reach_and_settles_by_version(make_tenant):
    tenant = make_tenant()
    now = datetime.now(UTC)
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", now - timedelta(seconds=1))
    leased = lease_of(tenant, "purge", now)
    assert row(tenant, "purge").due_at == now + due.LEASE
    with shared_session() as session:  # a second run finds nothing of this tenant
        assert tenant not in {item.tenant_id for item in repository.lease(session, "purge", now, now, 10**6)}

    # Marked again while the visit ran: settling with nothing left keeps the row, due at the mark.
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", now + timedelta(minutes=1))
    with shared_session() as session:
        repository.settle(session, tenant, "purge", leased.version, None)
    assert row(tenant, "purge").due_at == now + timedelta(minutes=1)

    # Nobody marked it since this lease: settled for good.
    leased = lease_of(tenant, "purge", now + timedelta(minutes=2))
    with shared_session() as session:
        repository.settle(session, tenant, "purge", leased.version, None)
    assert row(tenant, "purge") is None


def test_creating_jobs_marks_the_tenant_and_maintenance_visits_only_due_tenants(jobs_world, make_tenant, engine):
    idle, busy = make_tenant(), make_tenant()
    assert row(idle, "jobs") is None
    jobs_world.queue.broken = True  # the send after commit fails: the sweeper must send them
    enqueued = job_service.enqueue(busy, service.JobRequest("ebay", "publish", add_products(busy, 2)))
    jobs_world.queue.broken = False
    marked = row(busy, "jobs")
    assert marked is not None and row(idle, "jobs") is None

    clock = Clock()
    clock.advance(120)  # past the resend grace
    report = maintenance.run_all(jobs_world.registry, engine, clock=clock)
    sent = {m.job_id for m in jobs_world.queue.take() if m.tenant_id == busy}
    assert sent == {job.id for job in enqueued.jobs} and report["sent"] >= 2
    # Next looked at when the messages just sent could count as lost, not every minute.
    assert row(busy, "jobs").due_at == clock.now + timedelta(seconds=45)
    assert row(idle, "jobs") is None


def test_a_tenant_whose_jobs_are_done_leaves_the_index(jobs_world, make_tenant, engine):
    tenant = make_tenant()
    (job,) = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 1))).jobs
    clock = Clock()
    processor = MarketplaceJobProcessor(jobs_world.registry, clock=clock)
    assert processor.process(JobMessage(tenant, job.id, "ebay")) == "completed"
    clock.advance(120)
    maintenance.run_all(jobs_world.registry, engine, clock=clock)
    assert row(tenant, "jobs") is None


def test_a_retry_marks_the_tenant_due_at_its_next_attempt(jobs_world, make_tenant, engine):
    tenant = make_tenant()
    jobs_world.handlers["publish"].script = ["retry"]
    (job,) = job_service.enqueue(tenant, service.JobRequest("ebay", "publish", add_products(tenant, 1))).jobs
    clock = Clock()
    clock.advance(3600)  # the job's first mark (its creation) is long past: visited and settled
    maintenance.run_all(jobs_world.registry, engine, clock=clock)
    processor = MarketplaceJobProcessor(jobs_world.registry, clock=Clock())
    assert processor.process(JobMessage(tenant, job.id, "ebay")) == "pending"
    with tenant_session(tenant) as session:
        retry_at = session.get(type(job), job.id).next_attempt_at
    assert row(tenant, "jobs").due_at <= retry_at


def test_many_due_tenants_fan_out_to_the_workers(jobs_world, make_tenant, engine):
    tenants = [make_tenant() for _ in range(3)]
    for tenant in tenants:
        with tenant_session(tenant) as session:
            repository.mark_due(session, "jobs", datetime.now(UTC) - timedelta(minutes=1))
    report = maintenance.run_all(jobs_world.registry, engine, fan_out_over=2)
    assert report["fanned_out"] == report["due"] >= 3 and report["tenants"] == 0
    handed = [m for m, _ in jobs_world.queue.sent if isinstance(m, DueMessage) and m.tenant_id in tenants]
    assert sorted(m.tenant_id for m in handed) == sorted(tenants) and {m.kind for m in handed} == {"jobs"}
    assert len({m.group_id for m in handed}) == 3

    # A worker takes one: the tenant is visited (nothing waits) and leaves the index.
    class Record:
        body = handed[0].body()

    processor = MarketplaceJobProcessor(jobs_world.registry)
    visits = {"jobs": maintenance.visitor(jobs_world.registry)}
    assert worker.handle_record(Record(), processor, visits=visits) == "completed"
    assert row(handed[0].tenant_id, "jobs") is None
    assert row(handed[1].tenant_id, "jobs").due_at > datetime.now(UTC)  # still leased to its message


def test_a_failed_visit_leaves_the_tenant_due_when_its_lease_ends(make_tenant, engine):
    tenant = make_tenant()
    now = datetime.now(UTC)
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", now - timedelta(seconds=1))

    def broken(tenant_id: int, at: datetime, engine) -> datetime | None:
        if tenant_id == tenant:
            raise ConnectionError("the tenant's visit failed")
        return None

    report = due.run("purge", broken, engine=engine, clock=lambda: now)
    assert f"purge: tenant {tenant}" in report.errors
    assert row(tenant, "purge").due_at == now + due.LEASE


def test_a_dropped_tenant_leaves_the_index(make_tenant, engine):
    from stoflow.db.provisioning import drop_tenant

    tenant = make_tenant()
    with tenant_session(tenant) as session:
        repository.mark_due(session, "purge", datetime.now(UTC))
    drop_tenant(tenant, confirm=f"user_{tenant}", engine=engine)
    with shared_session() as session:
        assert session.scalars(select(DueWork).where(DueWork.tenant_id == tenant)).all() == []
