"""The local cloud end to end, as a separate process on the test database: register, create a
product, queue a job over HTTP, the SQS poller runs the worker, the job's status is visible over
HTTP and pushed to a dashboard WebSocket connected with a ticket; bad and reused tickets are
refused at the handshake; a scheduled function fires; Ctrl-C stops it all.

The deadlines below only keep a hung process from hanging the suite; nothing is asserted about
how long anything took.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import url_string
from tests.e2e.fake_marketplace_cloud import ACTION, MARKETPLACE
from tests.support.local_cloud import HANG_GUARD_S, CloudProcess


@pytest.fixture(scope="module")
def cloud(database_url, engine, tmp_path_factory) -> Iterator[CloudProcess]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith(("STOFLOW_", "AWS_"))}
    env.update(
        DATABASE_URL=url_string(database_url),
        STOFLOW_DATA_DIR=str(tmp_path_factory.mktemp("cloud-data")),
        # Cheap password hashing: the suite registers many users.
        STOFLOW_ARGON2_MEMORY_KIB="1024",
        STOFLOW_ARGON2_TIME_COST="1",
    )
    running = CloudProcess(
        env, tmp_path_factory.mktemp("cloud-log") / "cloud.log", module="tests.e2e.fake_marketplace_cloud"
    )
    try:
        yield running.start()
    finally:
        running.close()


@pytest.fixture(scope="module")
def seller(cloud) -> dict[str, Any]:
    email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery staple"
    status, profile = cloud.call("POST", "/auth/register", {"email": email, "password": password})
    assert status == 201, profile
    status, tokens = cloud.call("POST", "/auth/login", {"email": email, "password": password})
    assert status == 200, tokens
    return {"token": tokens["access_token"], "id": profile["id"]}


def ticket(cloud: CloudProcess, token: str, client: str = "dashboard") -> str:
    status, body = cloud.call("POST", "/ws/tickets", {"client": client}, token=token)
    assert status == 201, body
    assert body["expires_in"] == 60
    return body["ticket"]


def receive_until(websocket: Any, wanted: Any, guard_s: float = HANG_GUARD_S) -> list[dict[str, Any]]:
    """Messages received until one satisfies `wanted` (that one included)."""
    received = []
    deadline = time.monotonic() + guard_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"never received the expected message; got {received}")
        try:
            message = json.loads(websocket.recv(timeout=remaining))
        except TimeoutError:
            continue
        received.append(message)
        if wanted(message):
            return received


def test_the_startup_prints_the_urls_and_a_demo_login(cloud):
    output = cloud.output()
    assert cloud.http in output and cloud.ws in output
    assert "Demo login   demo@stoflow.local / " in output
    status, tokens = cloud.call("POST", "/auth/login", {"email": "demo@stoflow.local", "password": "stoflow-demo-2026"})
    assert status == 200, tokens


def test_a_job_runs_through_the_queue_and_its_status_reaches_the_dashboard(cloud, seller):
    token = seller["token"]
    status, product = cloud.call("POST", "/products", {"title": "Veste en jean Levi's"}, token=token)
    assert status == 201, product

    with connect(f"{cloud.ws}/?ticket={ticket(cloud, token)}", open_timeout=HANG_GUARD_S) as websocket:
        websocket.send(json.dumps({"action": "hello", "client": "dashboard", "version": "e2e", "id": "h"}))
        welcome = json.loads(websocket.recv(timeout=HANG_GUARD_S))
        assert (welcome["type"], welcome["reply_to"]) == ("welcome", "h")

        status, batch = cloud.call(
            "POST", "/jobs", {"marketplace": MARKETPLACE, "action": ACTION, "product_ids": [product["id"]]}, token=token
        )
        assert status == 202, batch
        status, page = cloud.call("GET", f"/jobs?batch_id={batch['id']}", token=token)
        assert status == 200, page
        (job,) = page["items"]

        events = receive_until(
            websocket,
            lambda m: (
                m.get("type") == "job_status" and m["job_id"] == job["id"] and m["status"] in ("completed", "failed")
            ),
        )
        statuses = [m["status"] for m in events if m.get("type") == "job_status" and m["job_id"] == job["id"]]
        assert statuses[-1] == "completed", (statuses, cloud.output()[-3000:])
        assert "running" in statuses
        assert events[-1]["marketplace"] == MARKETPLACE and events[-1]["product_id"] == product["id"]

    status, done = cloud.call("GET", f"/jobs/{job['id']}", token=token)
    assert status == 200
    assert done["status"] == "completed"
    assert done["result"]["product_id"] == product["id"]


def test_heartbeat_and_unknown_actions_over_the_socket(cloud, seller):
    with connect(f"{cloud.ws}/?ticket={ticket(cloud, seller['token'])}", open_timeout=HANG_GUARD_S) as websocket:
        websocket.send(json.dumps({"action": "heartbeat"}))
        assert json.loads(websocket.recv(timeout=HANG_GUARD_S))["type"] == "heartbeat_ack"
        websocket.send(json.dumps({"action": "teleport"}))
        error = json.loads(websocket.recv(timeout=HANG_GUARD_S))
        assert (error["type"], error["code"]) == ("error", "unknown_action")


@pytest.mark.parametrize("query", ["", "?ticket=forged", "?ticket="])
def test_a_bad_ticket_is_refused_at_connect(cloud, query):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{cloud.ws}/{query}", open_timeout=HANG_GUARD_S)
    assert refused.value.response.status_code == 401


def test_a_reused_ticket_is_refused_at_connect(cloud, seller):
    once = ticket(cloud, seller["token"])
    with connect(f"{cloud.ws}/?ticket={once}", open_timeout=HANG_GUARD_S):
        pass
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{cloud.ws}/?ticket={once}", open_timeout=HANG_GUARD_S)
    assert refused.value.response.status_code == 401


def test_a_ticket_needs_a_login(cloud):
    status, problem = cloud.call("POST", "/ws/tickets", {"client": "dashboard"})
    assert status == 401, problem


def test_a_scheduled_function_fired(cloud):
    # rate() schedules fire when the cloud starts, then every period.
    deadline = time.monotonic() + HANG_GUARD_S
    while "schedule JobsMaintenanceFunction.EveryMinute: JobsMaintenanceFunction answered" not in cloud.output():
        if time.monotonic() > deadline:
            pytest.fail(cloud.output())
        time.sleep(0.2)


def test_ctrl_c_stops_every_part(cloud):
    assert cloud.interrupt() == 0, cloud.output()[-3000:]
    output = cloud.output()
    for part in ("scheduler", "sqs", "websocket", "http", "aws", "database"):
        assert f"local cloud: {part} stopped" in output
