"""/jobs and /batches through the jobs function's Lambda handler (payload 2.0 events)."""

from __future__ import annotations

import pytest

from tests.support.api import caller, register_and_login
from tests.support.jobs import add_products


@pytest.fixture
def call(identity, jobs_world):
    return caller("jobs")


@pytest.fixture
def seller(identity):
    account = register_and_login()
    return {"token": account["access_token"], "tenant": account["id"]}


def test_queue_follow_and_cancel_jobs(call, seller, jobs_world):
    token, tenant = seller["token"], seller["tenant"]
    products = add_products(tenant, 2)
    body = {"marketplace": "ebay", "action": "publish", "product_ids": products, "params": {"price": "30"}}

    created = call("POST", "/jobs", body, token=token, headers={"idempotency-key": "req-1"})
    assert created.status == 202, created
    batch = created.json
    assert created.headers["location"] == f"/batches/{batch['id']}"
    assert (batch["total"], batch["pending"], batch["done"]) == (2, 2, False)
    assert [j["product_id"] for j in batch["jobs"]] == products
    assert {j["status"] for j in batch["jobs"]} == {"pending"}

    replay = call("POST", "/jobs", body, token=token, headers={"idempotency-key": "req-1"})
    assert replay.status == 200 and replay.json["id"] == batch["id"]
    assert len(jobs_world.queue.sent) == 2

    listed = call("GET", "/jobs?status=pending&limit=1", token=token)
    assert listed.status == 200
    assert (listed.json["total"], len(listed.json["items"]), listed.json["limit"]) == (2, 1, 1)

    job_id = batch["jobs"][0]["id"]
    assert call("GET", f"/jobs/{job_id}", token=token).json["status"] == "pending"
    cancelled = call("POST", f"/jobs/{job_id}/cancel", token=token)
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    again = call("POST", f"/jobs/{job_id}/cancel", token=token)
    assert again.status == 409 and again.json["code"] == "job_finished"
    assert again.headers["content-type"].startswith("application/problem+json")

    progress = call("GET", f"/batches/{batch['id']}", token=token).json
    assert (progress["cancelled"], progress["pending"], progress["progress"]) == (1, 1, 0.5)


def test_problems_with_stable_codes(call, seller, jobs_world, identity):
    token, tenant = seller["token"], seller["tenant"]
    mine = add_products(tenant, 1)
    stranger = register_and_login()
    theirs = add_products(stranger["id"], 3)[-1:]  # ids restart per schema: take one I do not have
    their_batch = call(
        "POST",
        "/jobs",
        {"marketplace": "ebay", "action": "publish", "product_ids": theirs},
        token=stranger["access_token"],
    ).json

    cases = [
        ({"marketplace": "depop", "action": "publish", "product_ids": mine}, 422, "validation_error"),
        ({"marketplace": "ebay", "action": "teleport", "product_ids": mine}, 422, "unknown_action"),
        ({"marketplace": "ebay", "action": "publish"}, 422, "products_required"),
        ({"marketplace": "ebay", "action": "publish", "product_ids": theirs}, 404, "product_not_found"),
        ({"marketplace": "vinted", "action": "publish", "product_ids": mine}, 422, "unknown_action"),
        ({"marketplace": "etsy", "action": "publish", "product_ids": mine, "surprise": 1}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        reply = call("POST", "/jobs", body, token=token)
        assert (reply.status, reply.json["code"]) == (status, code), (body, reply)

    jobs_world.connected["etsy"] = False
    reply = call("POST", "/jobs", {"marketplace": "etsy", "action": "publish", "product_ids": mine}, token=token)
    assert (reply.status, reply.json["code"]) == (409, "marketplace_not_connected")

    their_job = their_batch["jobs"][0]["id"]
    for method, path in (
        ("GET", f"/jobs/{their_job}"),
        ("POST", f"/jobs/{their_job}/cancel"),
        ("GET", f"/batches/{their_batch['id']}"),
    ):
        reply = call(method, path, token=token)
        assert reply.status == 404, (path, reply)
    assert call("GET", "/jobs").status == 401
    assert call("GET", "/jobs?status=exploded", token=token).status == 422


def test_queueing_jobs_is_one_transaction_and_a_lost_send_is_sent_again(call, seller, jobs_world, engine):
    """The jobs are stamped sent in the transaction that creates them; a process that dies between
    the commit and the send leaves them stamped and unreceived: the lost-message rule resends them."""
    from datetime import timedelta

    from sqlalchemy import event

    from stoflow.db.engine import get_engine
    from stoflow.jobs import maintenance
    from tests.support.jobs import Clock

    token, tenant = seller["token"], seller["tenant"]
    products = add_products(tenant, 2)
    begun: list[object] = []

    def began(connection: object) -> None:
        begun.append(connection)

    container = get_engine()
    body = {"marketplace": "ebay", "action": "publish", "product_ids": products}
    event.listen(container, "begin", began)
    try:
        reply = call("POST", "/jobs", body, token=token)
    finally:
        event.remove(container, "begin", began)
    assert reply.status == 202, reply
    assert len(begun) == 1  # the revocation check, the checks, the jobs and their stamps: one transaction
    assert len(jobs_world.queue.sent) == 2
    ids = {j["id"] for j in reply.json["jobs"]}

    jobs_world.queue.sent.clear()  # as if the container had stopped right after the commit
    clock = Clock()
    clock.advance(timedelta(minutes=3).total_seconds())  # past the lost-message delay, never received
    maintenance.run_all(jobs_world.registry, engine, clock=clock)
    assert {m.job_id for m in jobs_world.queue.take() if m.tenant_id == tenant} == ids
