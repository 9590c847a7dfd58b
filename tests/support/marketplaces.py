"""The eBay and Etsy sandboxes of the local cloud (infra.local.sandboxes) behind our clients,
through httpx.MockTransport (no socket), and the fixture wiring them, our clients and the job
system together. The sandboxes keep state, refuse what the real APIs refuse, and check every
request and answer against the official OpenAPI files; faults can be injected per call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from infra.local.sandboxes import ebay as ebay_sandbox
from infra.local.sandboxes import etsy as etsy_sandbox
from infra.local.sandboxes.ebay import EbaySandbox
from infra.local.sandboxes.etsy import EtsySandbox

EBAY_CLIENT_ID = ebay_sandbox.CLIENT_ID
EBAY_CLIENT_SECRET = ebay_sandbox.CLIENT_SECRET
EBAY_RU_NAME = ebay_sandbox.RU_NAME
ETSY_KEYSTRING = etsy_sandbox.KEYSTRING
ETSY_SECRET = etsy_sandbox.SHARED_SECRET


def forget_requirements(marketplace: str = "ebay") -> None:
    """Empty the shared cache of a marketplace's requirements (other tests and the local cloud's
    scheduled refresh fill it in the same database): readiness then knows nothing about any category."""
    from sqlalchemy import delete

    from stoflow.db.tenancy import shared_session
    from stoflow.models import MarketplaceCategoryTree, MarketplaceRequirement

    with shared_session() as session:
        session.execute(delete(MarketplaceRequirement).where(MarketplaceRequirement.marketplace == marketplace))
        session.execute(delete(MarketplaceCategoryTree).where(MarketplaceCategoryTree.marketplace == marketplace))


class FakePhotos:
    """Photo URLs and bytes for our images, without S3: each photo's bytes name its image id."""

    def url(self, image: Any) -> str:
        return f"https://images.stoflow.test/{image.id}.jpg"

    @staticmethod
    def fetchable(url: str) -> bool:
        """What eBay's download of a photo finds: only URLs this source handed out."""
        return url.startswith("https://images.stoflow.test/")

    def content(self, image: Any) -> bytes:
        return f"jpeg-bytes-of-image-{image.id}".encode()


@dataclass
class MarketplaceWorld:
    ebay: EbaySandbox
    etsy: EtsySandbox
    sleeps: list[float]
    # The waits of the Etsy request pacing (stoflow.marketplaces.etsy.calls), recorded, not slept.
    paced: list[float] = field(default_factory=list)

    def contract_problems(self) -> list[str]:
        """What the clients sent that the OpenAPI files refuse, and what the fakes answered that
        the real APIs would not (the sandboxes are held to the same contract)."""
        return [
            *self.ebay.contract_problems,
            *self.etsy.contract_problems,
            *self.ebay.response_problems,
            *self.etsy.response_problems,
        ]


def combined_transport(ebay: EbaySandbox, etsy: EtsySandbox) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        return (ebay if "ebay" in request.url.host else etsy).handle(request)

    return httpx.MockTransport(route)


MARKETPLACE_ENV = {
    "STOFLOW_EBAY_CLIENT_ID": EBAY_CLIENT_ID,
    "STOFLOW_EBAY_CLIENT_SECRET": EBAY_CLIENT_SECRET,
    "STOFLOW_EBAY_RU_NAME": EBAY_RU_NAME,
    "STOFLOW_EBAY_ENVIRONMENT": "sandbox",
    "STOFLOW_ETSY_KEYSTRING": ETSY_KEYSTRING,
    "STOFLOW_ETSY_SHARED_SECRET": ETSY_SECRET,
}


@pytest.fixture
def marketplaces(identity: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MarketplaceWorld]:
    """The eBay and Etsy sandboxes behind our clients, app keys configured, a fresh Fernet key, photos
    without S3, and retries that record their waits instead of sleeping."""
    from stoflow import runtime
    from stoflow.marketplaces.common import http, photos
    from stoflow.marketplaces.etsy import calls as etsy_calls

    for key, value in MARKETPLACE_ENV.items():
        monkeypatch.setenv(key, value)
    runtime.reset()  # settings, app keys, token cipher, eBay's application token: all built anew
    ebay, etsy = (
        EbaySandbox(accept_url="https://app.stoflow.test/ebay/accepted", image_fetcher=FakePhotos.fetchable),
        EtsySandbox(),
    )
    sleeps: list[float] = []
    monkeypatch.setattr(http, "pause", sleeps.append)
    world = MarketplaceWorld(ebay, etsy, sleeps)
    monkeypatch.setattr(etsy_calls, "pause", world.paced.append)
    with runtime.provided(photos.PHOTOS, FakePhotos()), http.use_transport(combined_transport(ebay, etsy)):
        yield world
    runtime.reset()
    # Every test that talks to the sandboxes is held to the official contracts, both ways.
    assert world.contract_problems() == [], world.contract_problems()


# --- eBay's notification endpoint, configured ------------------------------------------------------

NOTIFICATION_TOKEN = "a-verification-token-of-32-to-80-characters-0123456789"
NOTIFICATION_ENDPOINT = "https://api.stoflow.test/marketplaces/ebay/notifications"


@pytest.fixture
def endpoint(marketplaces: MarketplaceWorld, monkeypatch: pytest.MonkeyPatch) -> MarketplaceWorld:
    """The sandboxes, with eBay's notification endpoint configured (verification token, URL)."""
    from stoflow import runtime

    monkeypatch.setenv("STOFLOW_EBAY_VERIFICATION_TOKEN", NOTIFICATION_TOKEN)
    monkeypatch.setenv("STOFLOW_EBAY_NOTIFICATION_ENDPOINT", NOTIFICATION_ENDPOINT)
    runtime.reset()
    return marketplaces


def post_notice(headers: dict[str, str], body: bytes) -> Any:
    """A notice as eBay POSTs it to the endpoint."""
    import json

    from tests.support.api import caller

    return caller("marketplaces")("POST", "/marketplaces/ebay/notifications", json.loads(body), headers=headers)


# --- the job system, for real, with a recording queue --------------------------------------------


@dataclass
class JobRunner:
    queue: Any
    registry: Any
    processor: Any

    def run_all(self, limit: int = 100, *, tenant: int | None = None) -> list[tuple[int, str, str, str]]:
        """Process queued messages until none is left: [(job id, marketplace, action, status)].
        With `tenant`, other tenants' messages (earlier tests share the database) are dropped."""
        from stoflow.db.tenancy import tenant_session
        from stoflow.models.jobs import MarketplaceJob

        done: list[tuple[int, str, str, str]] = []
        for _ in range(limit):
            messages = self.queue.take()
            if not messages:
                return done
            for message in messages:
                if tenant is not None and message.tenant_id != tenant:
                    continue
                status = self.processor.process(message)
                with tenant_session(message.tenant_id) as session:
                    job = session.get(MarketplaceJob, message.job_id)
                    action = job.action if job else "?"
                done.append((message.job_id, message.marketplace, action, status))
        raise AssertionError("jobs keep queueing more jobs")


@pytest.fixture
def job_runner(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobRunner]:
    """The real registry (eBay and Etsy handlers, plus whatever Vinted has), a recording queue
    and the real processor."""
    from stoflow import runtime
    from stoflow.jobs.processor import MarketplaceJobProcessor, RetryPolicy
    from stoflow.jobs.queue import QUEUE
    from stoflow.marketplaces.registry import JOB_HANDLERS, build_job_handlers
    from tests.support.jobs import FakeQueue

    registry = build_job_handlers()  # a fresh one: tests may add handlers to it
    queue = FakeQueue()
    with runtime.provided(JOB_HANDLERS, registry), runtime.provided(QUEUE, queue):
        yield JobRunner(queue, registry, MarketplaceJobProcessor(registry, retry=RetryPolicy(base_s=0.0, max_s=0.0)))


def product_with_photos(
    tenant_id: int,
    *,
    title: str = "Levi's 501 jeans W32",
    price: str = "35.50",
    photos: int = 3,
    label: bool = True,
    sku: str | None = None,
    status: str = "published",
    year_made: int | None = 1998,
) -> int:
    """A product ready to list: brand, condition, colours, size, materials, the year it was made
    (vintage: Etsy takes it), photos (and a label photo, which must never reach a marketplace)."""
    from decimal import Decimal

    from sqlalchemy import select

    from stoflow.db.tenancy import tenant_session
    from stoflow.models import Brand, Color, Condition, Material, Product, ProductImage, Size

    with tenant_session(tenant_id) as session:
        condition = session.scalars(select(Condition).where(Condition.slug == "very_good")).one()
        brand = session.scalars(select(Brand).order_by(Brand.id)).first()
        colors = list(session.scalars(select(Color).order_by(Color.id).limit(2)))
        size = session.scalars(select(Size).where(Size.label == "M")).first()
        materials = list(session.scalars(select(Material).order_by(Material.id).limit(2)))
        product = Product(
            title=title,
            description=f"{title}, worn a few times.",
            price=Decimal(price),
            currency="EUR",
            status=status,
            condition_id=condition.id,
            brand_id=brand.id if brand else None,
            color_ids=[c.id for c in colors],
            size_id=size.id if size else None,
            material_ids=[m.id for m in materials],
            parcel_weight_g=650,
            sku=sku,
            stock=1,
            year_made=year_made,
        )
        session.add(product)
        session.flush()
        for position in range(photos):
            session.add(
                ProductImage(
                    product_id=product.id,
                    status="ready",
                    storage_key=f"p/{product.id}/{position}",
                    position=position,
                    mime_type="image/jpeg",
                    alt_text=f"photo {position}",
                )
            )
        if label:
            session.add(
                ProductImage(
                    product_id=product.id,
                    status="ready",
                    storage_key=f"p/{product.id}/label",
                    position=photos,
                    is_label=True,
                    mime_type="image/jpeg",
                )
            )
        session.flush()
        return product.id


def image_ids(tenant_id: int, product_id: int) -> tuple[list[int], int | None]:
    """(photo ids in display order, label id)."""
    from sqlalchemy import select

    from stoflow.db.tenancy import tenant_session
    from stoflow.models import ProductImage

    with tenant_session(tenant_id) as session:
        rows = list(
            session.scalars(
                select(ProductImage).where(ProductImage.product_id == product_id).order_by(ProductImage.position)
            )
        )
        return [r.id for r in rows if not r.is_label], next((r.id for r in rows if r.is_label), None)


Enqueue = Callable[..., Any]


def connect(world: MarketplaceWorld, token: str, marketplace: str) -> dict[str, Any]:
    """Connect through /marketplaces/{m}/connect and /callback, the seller consenting on the sandbox."""
    from urllib.parse import quote

    from tests.support.api import caller

    call = caller("marketplaces")
    started = call("GET", f"/marketplaces/{marketplace}/connect", token=token)
    assert started.status == 200, started
    url = started.json["authorization_url"]
    code = world.ebay.consent() if marketplace == "ebay" else world.etsy.consent(url)
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    reply = call("GET", f"/marketplaces/{marketplace}/callback?code={quote(code)}&state={quote(state)}", token=token)
    assert reply.status == 200, reply
    run_connection_jobs()
    return reply.json


def run_connection_jobs() -> list[str]:
    """Run the jobs a connection queued (eBay: who the seller is, their sale notices), as the
    worker does at once, leaving every other queued message queued: the tests that follow count
    their own jobs. Statuses of the jobs run; none where no test queue is in place."""
    from stoflow import runtime
    from stoflow.db.tenancy import tenant_session
    from stoflow.jobs.processor import MarketplaceJobProcessor
    from stoflow.jobs.queue import QUEUE
    from stoflow.marketplaces.ebay.order_notices import WATCH_ACTION
    from stoflow.marketplaces.registry import JOB_HANDLERS
    from stoflow.models.jobs import MarketplaceJob
    from tests.support.jobs import FakeQueue

    try:
        queue = runtime.get(QUEUE)
    except RuntimeError:  # no queue in this test: nothing was sent
        return []
    if not isinstance(queue, FakeQueue):
        return []
    with queue.lock:
        pending = list(queue.sent)
        queue.sent.clear()
    statuses, others = [], []
    processor = MarketplaceJobProcessor(runtime.get(JOB_HANDLERS))
    for message, group in pending:
        with tenant_session(message.tenant_id) as session:
            job = session.get(MarketplaceJob, message.job_id)
            action = job.action if job else None
        if action == WATCH_ACTION:
            statuses.append(processor.process(message))
        else:
            others.append((message, group))
    queue.send(others)
    return statuses
