"""Messages lost from the queue (a crash, a purge, the DLQ) are re-sent within two minutes of
their send, and a healthy message (in flight, or queued behind its FIFO group) never is.

The rule (stoflow.repositories.jobs._message_lost) is exercised on real rows: each test sets a
job's send, receipt and state times relative to one instant and asks the sweeper's query."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import update

from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.jobs import maintenance, service, worker
from stoflow.models import MarketplaceJob
from stoflow.repositories import jobs as repository
from stoflow.services import jobs as job_service
from tests.support.jobs import Clock, add_products

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def jobs(tenant: int, count: int, marketplace: str = "ebay") -> list[int]:
    enqueued = job_service.enqueue(tenant, service.JobRequest(marketplace, "publish", add_products(tenant, count)))
    return [job.id for job in enqueued.jobs]


def set_job(tenant: int, job_id: int, **values) -> None:
    with tenant_session(tenant) as session:
        session.execute(update(MarketplaceJob).where(MarketplaceJob.id == job_id).values(**values))


def due(tenant: int, now: datetime = NOW) -> set[int]:
    settings = get_settings()
    with tenant_session(tenant) as session:
        found = repository.due_for_sending(
            session,
            now,
            timedelta(seconds=settings.jobs_resend_grace_s),
            timedelta(seconds=settings.jobs_lost_message_after_s),
            200,
            timedelta(seconds=settings.jobs_queue_visibility_timeout_s),
        )
        return {job.id for job in found if job.message_sent_at is not None}


@pytest.fixture
def tenant(jobs_world, make_tenant) -> int:
    return make_tenant()


def test_the_worst_case_is_under_two_minutes() -> None:
    # Re-sent at the first minute's sweep after `lost_after`: lost_after + 60 s at worst.
    assert get_settings().jobs_lost_message_after_s + 60 < 120


def test_a_lost_message_is_re_sent_once_lost_after_has_passed(tenant) -> None:
    (job,) = jobs(tenant, 1)
    lost_after = get_settings().jobs_lost_message_after_s
    set_job(tenant, job, message_sent_at=ago(lost_after - 15))
    assert due(tenant) == set()  # it may still be on its way to a worker
    set_job(tenant, job, message_sent_at=ago(lost_after + 1))
    assert due(tenant) == {job}


def test_a_crash_losing_a_whole_group_re_sends_all_of_it_in_one_sweep(tenant) -> None:
    lost = jobs(tenant, 3)
    for offset, job in enumerate(lost):
        set_job(tenant, job, message_sent_at=ago(300 - offset))
    assert due(tenant) == set(lost)


def test_messages_in_flight_wait_for_their_visibility_timeout(tenant) -> None:
    """A batch's later records wait while the first runs (or after its worker died): received,
    they are healthy until the visibility timeout brings them back or sends them to the DLQ."""
    first, second, third = jobs(tenant, 3)
    visibility = get_settings().jobs_queue_visibility_timeout_s
    for job in (first, second, third):
        set_job(tenant, job, message_sent_at=ago(visibility + 100))
    set_job(tenant, first, status="running", started_at=ago(visibility - 10), updated_at=ago(visibility - 10))
    set_job(tenant, second, message_received_at=ago(visibility - 10))
    set_job(tenant, third, message_received_at=ago(visibility - 10))
    assert due(tenant) == set()
    later = NOW + timedelta(seconds=20)  # the visibility timeout has passed: back in the queue, or gone
    set_job(tenant, first, status="failed", updated_at=ago(visibility - 5))
    assert due(tenant, later) == {second, third}


def test_a_message_queued_behind_its_group_is_healthy(tenant) -> None:
    ahead, behind = jobs(tenant, 2)
    set_job(tenant, ahead, message_sent_at=ago(600), status="running", started_at=ago(5), updated_at=ago(5))
    set_job(tenant, behind, message_sent_at=ago(590))
    assert due(tenant) == set()  # the group is busy with the message sent before it

    set_job(tenant, ahead, status="completed", updated_at=ago(10), finished_at=ago(10))
    assert due(tenant) == set()  # the group just moved: it is next in line

    set_job(tenant, ahead, updated_at=ago(100), finished_at=ago(100))
    assert due(tenant) == {behind}  # nothing of its group moved since: it is gone


def test_a_message_overtaken_in_its_group_is_lost(tenant) -> None:
    """FIFO: a message sent after it was received, so it left the queue without being claimed."""
    lost, later = jobs(tenant, 2)
    set_job(tenant, lost, message_sent_at=ago(120))
    set_job(tenant, later, message_sent_at=ago(100), status="running", started_at=ago(5), updated_at=ago(5))
    assert due(tenant) == {lost}


def test_another_groups_work_does_not_hold_a_lost_message(tenant) -> None:
    (ebay,) = jobs(tenant, 1)
    (etsy,) = jobs(tenant, 1, marketplace="etsy")
    set_job(tenant, etsy, message_sent_at=ago(600), status="running", started_at=ago(5), updated_at=ago(5))
    set_job(tenant, ebay, message_sent_at=ago(300))
    assert due(tenant) == {ebay}


def test_the_worker_marks_a_batch_received_before_working_through_it(tenant, monkeypatch) -> None:
    first, second = jobs(tenant, 2)
    for job in (first, second):
        set_job(tenant, job, message_sent_at=ago(1))
    records = [{"body": json.dumps({"tenant_id": tenant, "job_id": j, "marketplace": "ebay"})} for j in (first, second)]
    monkeypatch.setattr("stoflow.jobs.processor.utcnow", lambda: NOW)
    worker.mark_received(records)
    with tenant_session(tenant) as session:
        marked = {job: session.get(MarketplaceJob, job).message_received_at for job in (first, second)}
    assert marked == {first: NOW, second: NOW}
    # In flight, however long the first runs, until the queue's visibility timeout gives it back.
    in_flight = get_settings().jobs_queue_visibility_timeout_s - 1
    assert due(tenant, NOW + timedelta(seconds=in_flight)) == set()


def test_the_sweeper_re_sends_a_lost_message_and_only_it(jobs_world, tenant, engine) -> None:
    lost, healthy = jobs(tenant, 2)
    sent_at = jobs_world.queue.sent[-1][0]  # both went out at enqueue
    del sent_at
    jobs_world.queue.take()
    now = datetime.now(UTC)
    set_job(tenant, lost, message_sent_at=now - timedelta(seconds=100))
    set_job(
        tenant, healthy, message_sent_at=now - timedelta(seconds=90), message_received_at=now - timedelta(seconds=80)
    )
    maintenance.sweep(engine, clock=Clock(now))
    resent = [m.job_id for m in jobs_world.queue.take() if m.tenant_id == tenant]
    assert resent == [lost]


def test_the_visibility_timeout_setting_is_the_queues() -> None:
    template = yaml.load((Path(__file__).resolve().parents[2] / "template.yaml").read_text(), Loader=_Loader)
    queue = template["Resources"]["JobsQueue"]["Properties"]
    assert int(queue["VisibilityTimeout"]) == get_settings().jobs_queue_visibility_timeout_s


class _Loader(yaml.SafeLoader):
    """CloudFormation's short tags (!Ref, !Sub, !GetAtt ...) read as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
