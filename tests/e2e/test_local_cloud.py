"""The local cloud end to end, as a separate process on the test database, with its marketplace
sandboxes: register, connect eBay and Etsy through their consent pages, create a product and
upload its photos, publish it to both over HTTP; the SQS poller runs the worker, the jobs'
statuses are visible over HTTP and pushed to a dashboard WebSocket connected with a ticket; a sale
simulated with `stoflow sandbox sell` on Etsy makes the eBay listing go. Bad and reused tickets are
refused at the handshake; a scheduled function fires; Ctrl-C stops it all.

The deadlines below only keep a hung process from hanging the suite; nothing is asserted about
how long anything took.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import url_string
from tests.support.local_cloud import HANG_GUARD_S, CloudProcess, consent, sandbox_cli, wait_for_job


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
    running = CloudProcess(env, tmp_path_factory.mktemp("cloud-log") / "cloud.log")
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


def product_with_photos(cloud: CloudProcess, token: str) -> int:
    from PIL import Image

    def first(kind: str, **wanted: Any) -> int:
        status, page = cloud.call("GET", f"/catalog/{kind}", token=token)
        assert status == 200, page
        items = page["items"] if isinstance(page, dict) else page
        return next(i["id"] for i in items if all(i.get(k) == v for k, v in wanted.items()))

    status, product = cloud.call(
        "POST",
        "/products",
        {
            "title": "Veste en jean Levi's",
            "description": "Portée deux fois, très bon état.",
            "price": "35.50",
            "status": "published",
            "brand_id": first("brands"),
            "condition_id": first("conditions", slug="very_good"),
            "color_ids": [first("colors", slug="navy")],
            "size_id": first("sizes", label="M"),
            # What readiness asks for: eBay's size type in apparel, and Etsy takes vintage (20+ years).
            "size_type_id": first("size_types", name="Regular"),
            "year_made": 1998,
            "parcel_weight_g": 650,
            "sku": f"E2E-{uuid.uuid4().hex[:8]}",
        },
        token=token,
    )
    assert status == 201, product
    for shade in (40, 120):
        jpeg = io.BytesIO()
        Image.new("RGB", (640, 640), (shade, 60, 110)).save(jpeg, "JPEG")
        data = jpeg.getvalue()
        status, upload = cloud.call(
            "POST",
            f"/products/{product['id']}/images/uploads",
            {"content_type": "image/jpeg", "size": len(data)},
            token=token,
        )
        assert status == 201, upload
        sent = httpx.post(
            upload["upload"]["url"],
            data=upload["upload"]["fields"],
            files={"file": ("photo.jpg", data, "image/jpeg")},
            timeout=HANG_GUARD_S,
        )
        assert sent.status_code in (200, 201, 204), sent.text
        status, image = cloud.call(
            "POST", f"/products/{product['id']}/images/{upload['image_id']}/complete", token=token
        )
        assert status == 200, image
    return product["id"]


def job_statuses(events: list[dict[str, Any]], job_id: int) -> list[str]:
    return [m["status"] for m in events if m.get("type") == "job_status" and m["job_id"] == job_id]


@pytest.fixture(scope="module")
def connected(cloud, seller) -> str:
    """The seller connected to eBay and Etsy through their consent pages, with listing settings;
    their token."""
    token = seller["token"]
    assert consent(cloud, token, "ebay")["connected"]
    assert consent(cloud, token, "etsy")["account"] == "VintageByAda"
    status, policies = cloud.call("GET", "/marketplaces/ebay/policies", token=token)
    assert status == 200, policies
    ebay_settings = {
        "fulfillment_policy_id": policies["fulfillment"][0]["id"],
        "payment_policy_id": policies["payment"][0]["id"],
        "return_policy_id": policies["return"][0]["id"],
        "default_category_id": "11483",
        "location": {"country": "FR", "postalCode": "75011"},
    }
    assert cloud.call("PATCH", "/marketplaces/ebay/settings", ebay_settings, token=token)[0] == 200
    etsy_settings = {"shipping_profile_id": 9001, "default_taxonomy_id": 2825, "readiness_state_id": 7001}
    assert cloud.call("PATCH", "/marketplaces/etsy/settings", etsy_settings, token=token)[0] == 200
    return token


def test_publish_to_the_sandboxes_then_a_sale_delists_elsewhere(cloud, connected):
    token = connected
    product_id = product_with_photos(cloud, token)

    with connect(f"{cloud.ws}/?ticket={ticket(cloud, token)}", open_timeout=HANG_GUARD_S) as websocket:
        websocket.send(json.dumps({"action": "hello", "client": "dashboard", "version": "e2e", "id": "h"}))
        welcome = json.loads(websocket.recv(timeout=HANG_GUARD_S))
        assert (welcome["type"], welcome["reply_to"]) == ("welcome", "h")
        jobs = {}
        for marketplace in ("ebay", "etsy"):
            status, batch = cloud.call(
                "POST",
                "/jobs",
                {"marketplace": marketplace, "action": "publish", "product_ids": [product_id]},
                token=token,
            )
            assert status == 202, batch
            jobs[marketplace] = batch["jobs"][0]["id"]
        events: list[dict[str, Any]] = []
        for job_id in jobs.values():
            events += receive_until(
                websocket,
                lambda m, job_id=job_id: (
                    m.get("type") == "job_status" and m["job_id"] == job_id and m["status"] in ("completed", "failed")
                ),
            )
        for marketplace, job_id in jobs.items():
            statuses = job_statuses(events, job_id)
            assert statuses[-1] == "completed", (marketplace, statuses, cloud.output()[-3000:])
            assert "running" in statuses

    published = {m: cloud.call("GET", f"/jobs/{job_id}", token=token)[1]["result"] for m, job_id in jobs.items()}
    state = sandbox_cli(cloud, "state")

    # This test's own listings (the module's other tests list products of the same seller).
    def on_ebay(state: dict[str, Any]) -> list[str]:
        ours = str(published["ebay"]["listing_id"])
        return [listing["status"] for listing in state["ebay"]["listings"] if str(listing["listing_id"]) == ours]

    assert on_ebay(state) == ["ACTIVE"]
    ours = published["etsy"]["listing_id"]
    assert [listing["state"] for listing in state["etsy"]["listings"] if listing["listing_id"] == ours] == ["active"]
    # Every request the backend sent, and every answer, within the official contracts.
    for marketplace in ("ebay", "etsy"):
        assert state[marketplace]["contract_problems"] == [] and state[marketplace]["response_problems"] == []

    sold = sandbox_cli(cloud, "sell", "etsy", str(published["etsy"]["listing_id"]))
    assert sold["sold"] == published["etsy"]["listing_id"]
    status, batch = cloud.call("POST", "/jobs", {"marketplace": "etsy", "action": "sync_orders"}, token=token)
    assert status == 202, batch
    delisted = wait_for_job(cloud, token, marketplace="ebay", action="delete", product_id=product_id)
    assert delisted["status"] == "completed", delisted
    assert on_ebay(sandbox_cli(cloud, "state")) == ["ENDED"]
    status, product = cloud.call("GET", f"/products/{product_id}", token=token)
    assert product["status"] == "sold", product


def test_an_ebay_sale_comes_by_its_notice_and_delists_elsewhere(cloud, connected):
    """No order check is asked for: connecting subscribed the seller's sale notices to the local
    API, the sandbox posts one when the item sells, and the notice reads the order."""
    token = connected
    watch = wait_for_job(cloud, token, marketplace="ebay", action="watch_sales")
    assert watch["status"] == "completed" and watch["result"]["subscribed"], watch
    product_id = product_with_photos(cloud, token)
    for marketplace in ("ebay", "etsy"):
        status, batch = cloud.call(
            "POST", "/jobs", {"marketplace": marketplace, "action": "publish", "product_ids": [product_id]}, token=token
        )
        assert status == 202, batch
    listed = wait_for_job(cloud, token, marketplace="ebay", action="publish", product_id=product_id)
    assert wait_for_job(cloud, token, marketplace="etsy", action="publish", product_id=product_id)["status"] == (
        "completed"
    )
    sold = sandbox_cli(cloud, "sell", "ebay", str(listed["result"]["listing_id"]))
    assert (sold["notified"], sold["endpoint_status"]) == (True, 204), sold
    delisted = wait_for_job(cloud, token, marketplace="etsy", action="delete", product_id=product_id)
    assert delisted["status"] == "completed", delisted
    status, sales = cloud.call("GET", "/sales", token=token)
    assert [s["order_ref"] for s in sales["items"] if s["product_id"] == product_id] == [sold["order_id"]]


def test_a_sandbox_outage_is_seen_as_one(cloud, seller):
    failing = sandbox_cli(cloud, "fail", "ebay", "--minutes", "5", "--status", "429")
    assert failing["failing_until"]
    url = f"{cloud.sandbox}/ebay/api/sell/account/v1/return_policy?marketplace_id=EBAY_FR"
    answer = httpx.get(url, headers={"authorization": "Bearer not-checked-during-an-outage"}, timeout=HANG_GUARD_S)
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert answer.json()["errors"][0]["errorId"] == 2001
    assert sandbox_cli(cloud, "recover", "ebay")["recovered"]
    answer = httpx.get(url, headers={"authorization": "Bearer unknown"}, timeout=HANG_GUARD_S)
    assert (answer.status_code, answer.json()["errors"][0]["errorId"]) == (401, 1001)


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
    for part in ("scheduler", "sqs", "websocket", "http", "sandboxes", "aws", "database"):
        assert f"local cloud: {part} stopped" in output
