"""An eBay sale through its notice against the same sale found by the scheduled check, in process,
through the real handlers at the deployed pool (one connection), the eBay sandbox in process and
an in-memory queue (the figure is our work, not SQS's latency):

- notice: the signed ORDER_CONFIRMATION posted to the marketplaces function (signature checked,
  the tenant found, the order's read queued), then that job run by the worker (getOrders by
  orderIds, the order stored, the product sold, its Etsy delist queued);
- baseline: the scheduled check's job run by the worker for the same kind of sale (getOrders by
  lastmodifieddate over its window, the same storing).

Both end when the delist is queued. eBay's own delay from checkout to the notice is not in them:
eBay states none. With notices, a sale waits for that delay plus the figure; without (a notice
lost), for the next check (bench.sales: the worst and median on a simulated day)."""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.common import bench_seller, deployed_backend, figure
from bench.requests import handler_of, http_event

SALES = 15


class ListQueue:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, messages: Any) -> list[Any]:
        self.sent.extend(messages)
        return []

    def take(self) -> list[Any]:
        taken = [message for message, _ in self.sent]
        self.sent.clear()
        return taken


def main() -> None:
    from infra.local.sandboxes import ebay as sandbox_module
    from infra.local.sandboxes.ebay import SELLER_ID, EbaySandbox
    from stoflow import runtime
    from stoflow.db.tenancy import tenant_session
    from stoflow.jobs.processor import MarketplaceJobProcessor
    from stoflow.jobs.queue import QUEUE
    from stoflow.marketplaces.common import crypto
    from stoflow.marketplaces.common.http import use_transport
    from stoflow.marketplaces.registry import JOB_HANDLERS, build_job_handlers
    from stoflow.models import EbayCredentials, EtsyCredentials, Product
    from stoflow.repositories import account_owners
    from stoflow.repositories import jobs as jobs_repository
    from stoflow.services.jobs import JobRequest, enqueue

    endpoint = "https://api.example.com/marketplaces/ebay/notifications"
    env = {
        "STOFLOW_EBAY_CLIENT_ID": sandbox_module.CLIENT_ID,
        "STOFLOW_EBAY_CLIENT_SECRET": sandbox_module.CLIENT_SECRET,
        "STOFLOW_EBAY_RU_NAME": sandbox_module.RU_NAME,
        "STOFLOW_EBAY_ENVIRONMENT": "sandbox",
        "STOFLOW_EBAY_API_BASE_URL": "https://ebay.sandbox.test",
        "STOFLOW_EBAY_VERIFICATION_TOKEN": sandbox_module.VERIFICATION_TOKEN,
        "STOFLOW_EBAY_NOTIFICATION_ENDPOINT": endpoint,
    }
    sandbox = EbaySandbox(strict=True)
    queue = ListQueue()
    with deployed_backend(**env):
        _, token = bench_seller()
        me = json.loads(handler_of("auth")(http_event("GET", "/auth/me", token), None)["body"])
        tenant = int(me["id"])
        registry = build_job_handlers()
        runtime.provide(JOB_HANDLERS, registry)
        runtime.provide(QUEUE, queue)  # type: ignore[arg-type]
        processor = MarketplaceJobProcessor(registry)
        later = datetime.now(UTC) + timedelta(hours=2)
        with tenant_session(tenant) as session:
            # Connected to both, as after the consent pages (the Etsy delist is queued, not run).
            session.add(
                EbayCredentials(
                    id=1,
                    status="connected",
                    environment="sandbox",
                    marketplace_id="EBAY_FR",
                    access_token_enc=crypto.encrypt(sandbox.issue_access_token("bench", 7200)),
                    refresh_token_enc=crypto.encrypt("bench"),
                    access_expires_at=later,
                    ebay_user_id=SELLER_ID,
                    orders_cursor=datetime.now(UTC) - timedelta(minutes=5),
                )
            )
            session.add(EtsyCredentials(id=1, status="connected", refresh_token_enc=crypto.encrypt("bench")))
            account_owners.claim(session, "ebay", SELLER_ID, tenant)
        marketplaces = handler_of("marketplaces")

        def listed(sku: str) -> None:
            with tenant_session(tenant) as session:
                product = Product(title=f"Pull {sku}", price=20, sku=sku, status="published")
                session.add(product)
                session.flush()
                for marketplace in ("ebay", "etsy"):
                    jobs_repository.upsert_listing(
                        session, product.id, marketplace, status="listed", external_id=f"{marketplace}-{sku}"
                    )

        def run_queued() -> list[str]:
            return [processor.process(message) for message in queue.take()]

        def by_notice(n: int) -> float:
            sku = f"NOTICE-{n}"
            listed(sku)
            order_id = sandbox.sell(sku, when=datetime.now(UTC))
            headers, body = sandbox.order_notice(order_id)
            started = time.perf_counter()
            event = http_event("POST", "/marketplaces/ebay/notifications", "", json.loads(body))
            event["headers"] = {**event["headers"], **headers}
            event["body"] = body.decode()
            reply = marketplaces(event, None)
            assert reply["statusCode"] == 204, reply
            assert run_queued() == ["completed"]
            elapsed = time.perf_counter() - started
            assert [m.marketplace for m, _ in queue.sent] == ["etsy"], queue.sent  # the delist
            queue.take()
            return elapsed

        def by_check(n: int) -> float:
            sku = f"CHECK-{n}"
            listed(sku)
            sandbox.sell(sku)  # stamped 90 s ago: indexed, inside the check's window
            enqueue(tenant, JobRequest("ebay", "sync_orders"))
            started = time.perf_counter()
            assert run_queued() == ["completed"]
            elapsed = time.perf_counter() - started
            assert [m.marketplace for m, _ in queue.sent] == ["etsy"], queue.sent
            queue.take()
            return elapsed

        with use_transport(httpx.MockTransport(sandbox.handle)):
            by_notice(-1), by_check(-1)  # warm: first imports and compiles
            notices, checks = [], []
            for n in range(SALES):  # interleaved: drift on a shared machine falls on both
                notices.append(by_notice(n))
                checks.append(by_check(n))
        figure(
            "eBay sale notice -> delist queued",
            statistics.median(notices),
            "the scheduled check's job",
            statistics.median(checks),
            "<= the check",
        )
        print(
            f"    worst of {SALES}: notice {max(notices) * 1000:.1f} ms, check job {max(checks) * 1000:.1f} ms;"
            " plus eBay's own delay to send the notice (not stated by eBay); contract problems:"
            f" {len(sandbox.contract_problems)}"
        )


if __name__ == "__main__":
    main()
