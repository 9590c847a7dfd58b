"""The scheduled marketplace function: order-sync fan-out (a job per connected tenant and
marketplace whose orders check is due, once per slot; the cadence follows what the tenant lists),
token refresh ahead of expiry, expired OAuth states swept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from sqlalchemy import select

from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.errors import InvalidOAuthState
from stoflow.marketplaces.common import oauth_state
from stoflow.models import (
    AuthSession,
    DueWork,
    EbayCredentials,
    EtsyCredentials,
    MarketplaceJob,
    ProductImage,
    RefreshToken,
)
from stoflow.models.sales import OrderCheck
from stoflow.repositories import jobs as jobs_repository
from stoflow.repositories.due_work import mark_due
from stoflow.repositories.marketplace_accounts import tokens_written
from stoflow.services.marketplace_schedules import refresh_expiring_tokens
from tests.support.api import load_function, register_and_login
from tests.support.jobs import add_products
from tests.support.marketplaces import connect
from tests.support.selling import delist_jobs, listed_everywhere


def schedule(task):
    return load_function("marketplace_schedules").handler({"task": task}, None)


def jobs_of(tenant):
    """The tenant's jobs but the one a connection queues itself (eBay: who the seller is)."""
    with tenant_session(tenant) as session:
        jobs = session.scalars(select(MarketplaceJob).where(MarketplaceJob.action != "watch_sales"))
        return sorted((j.marketplace, j.action) for j in jobs)


def run_for(job_runner, tenant):
    """Process the queued messages of one tenant (other tests' tenants share the database)."""
    statuses = []
    for message in job_runner.queue.take():
        if message.tenant_id == tenant:
            statuses.append(job_runner.processor.process(message))
    return statuses


def test_order_sync_fan_out_queues_one_job_per_connected_marketplace(marketplaces, job_runner):
    world = marketplaces
    connected, idle = register_and_login(), register_and_login()
    for marketplace in ("ebay", "etsy"):
        connect(world, connected["access_token"], marketplace)
    world.ebay.sell("UNKNOWN-SKU")

    report = schedule("sync_orders")
    assert (
        report["kind"] == "orders"
        and report["due"] >= 1
        and f"orders: tenant {connected['id']}" not in report["errors"]
    )
    with shared_session() as session:  # never connected: not in the index, never looked at
        assert session.get(DueWork, (idle["id"], "orders")) is None
    assert jobs_of(connected["id"]) == [("ebay", "sync_orders"), ("etsy", "sync_orders")]
    assert jobs_of(idle["id"]) == []
    schedule("sync_orders")  # fired again in the same slot: nothing new
    assert len(jobs_of(connected["id"])) == 2
    assert run_for(job_runner, connected["id"]) == ["completed", "completed"]
    with tenant_session(connected["id"]) as session:
        assert session.get(EbayCredentials, 1).orders_synced_at is not None
        assert session.get(EtsyCredentials, 1).orders_synced_at is not None


def test_tokens_expiring_soon_are_refreshed_ahead(marketplaces):
    world = marketplaces
    seller = register_and_login()
    for marketplace in ("ebay", "etsy"):
        connect(world, seller["access_token"], marketplace)
    margin = timedelta(seconds=get_settings().marketplace_scheduled_refresh_margin_s)
    with shared_session() as session:  # each connection stored its tokens: due when they near expiry
        marked = session.get(DueWork, (seller["id"], "tokens")).due_at
    with tenant_session(seller["id"]) as session:
        ebay_first = session.get(EbayCredentials, 1).access_expires_at
        assert marked == ebay_first - margin  # Etsy's access tokens are refreshed on use, not scheduled
        soon = datetime.now(UTC) + timedelta(minutes=10)
        session.get(EbayCredentials, 1).access_expires_at = soon
        tokens_written(session, soon)  # as a token write would
        etsy_expiry = session.get(EtsyCredentials, 1).access_expires_at
    idle = register_and_login()["id"]  # no marketplace: never in the index, never looked at
    report = schedule("refresh_tokens")
    assert report["kind"] == "tokens" and f"tokens: tenant {seller['id']}" not in report["errors"]
    assert (world.ebay.refreshes, world.etsy.refreshes) == (1, 0)
    with tenant_session(seller["id"]) as session:
        assert session.get(EbayCredentials, 1).access_expires_at > datetime.now(UTC) + timedelta(hours=1)
        assert session.get(EtsyCredentials, 1).access_expires_at == etsy_expiry
    # The refresh's own mark kept the row due at its lease's end: looked at once more, then the
    # tenant is next due when eBay's token nears its expiry. Etsy's access tokens are refreshed on
    # use (its calls count against the app's daily limit): its turn comes when its refresh token
    # nears its end.
    with tenant_session(seller["id"]) as session:
        ebay_expiry = session.get(EbayCredentials, 1).access_expires_at
        etsy_refresh_end = session.get(EtsyCredentials, 1).refresh_expires_at
    keep_alive = timedelta(seconds=get_settings().marketplace_refresh_token_keepalive_s)
    with shared_session() as session:
        again = session.get(DueWork, (seller["id"], "tokens")).due_at
    assert again <= etsy_expiry - margin
    refresh_expiring_tokens(now=again + timedelta(seconds=1))
    assert (world.ebay.refreshes, world.etsy.refreshes) == (1, 0)  # Etsy's token expiring: not refreshed here
    with shared_session() as session:
        due = session.get(DueWork, (seller["id"], "tokens")).due_at
        assert due == min(ebay_expiry - margin, etsy_refresh_end - keep_alive) == ebay_expiry - margin
        assert session.get(DueWork, (idle, "tokens")) is None


def test_where_tokens_are_refreshed_on_use_the_schedule_keeps_the_refresh_token_alive(marketplaces):
    world = marketplaces
    seller = register_and_login()
    connect(world, seller["access_token"], "etsy")
    keep_alive = timedelta(seconds=get_settings().marketplace_refresh_token_keepalive_s)
    with tenant_session(seller["id"]) as session:
        first = session.get(EtsyCredentials, 1)
        lapses, access = first.refresh_expires_at, first.access_expires_at
    with shared_session() as session:  # not when the hour-long access token expires: jobs refresh it on use
        marked = session.get(DueWork, (seller["id"], "tokens")).due_at
    assert marked == lapses - keep_alive
    refresh_expiring_tokens(now=access + timedelta(minutes=5))
    assert world.etsy.refreshes == 0
    refresh_expiring_tokens(now=marked + timedelta(minutes=1))
    assert world.etsy.refreshes == 1  # renewed, access token fresh or not, before the refresh token lapses
    with tenant_session(seller["id"]) as session:
        renewed = session.get(EtsyCredentials, 1).refresh_expires_at
    assert renewed > lapses
    with shared_session() as session:  # next: when the new refresh token nears its end
        assert session.get(DueWork, (seller["id"], "tokens")).due_at == renewed - keep_alive


def test_what_expired_is_swept(marketplaces):
    seller = register_and_login()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    stale = oauth_state.create("ebay", seller["id"], seller["id"], now=long_ago)
    fresh = oauth_state.create("ebay", seller["id"], seller["id"])
    with shared_session() as session:  # the login's refresh token, expired two days ago
        token = session.scalars(select(RefreshToken).join(AuthSession).where(AuthSession.user_id == seller["id"])).one()
        token.expires_at = datetime.now(UTC) - timedelta(days=2)
        token_id = token.id
    bucket = get_settings().images_bucket
    s3 = boto3.client("s3", region_name=get_settings().aws_region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": get_settings().aws_region})
    s3.put_object(Bucket=bucket, Key="uploads/abandoned.jpg", Body=b"half an upload")
    product_id = add_products(seller["id"], 1)[0]
    with tenant_session(seller["id"]) as session:
        session.add(
            ProductImage(
                product_id=product_id,
                status="pending",
                storage_key="uploads/abandoned.jpg",
                created_at=datetime.now(UTC) - timedelta(days=1),
            )
        )
        mark_due(session, "purge", datetime.now(UTC) - timedelta(days=1))  # as handing out the upload did

    report = schedule("purge_expired")
    assert report["oauth_states"] >= 1 and report["refresh_tokens"] >= 1 and report["abandoned_uploads"] >= 1
    with shared_session() as session:
        assert session.get(RefreshToken, token_id) is None
    with tenant_session(seller["id"]) as session:
        assert session.scalars(select(ProductImage).where(ProductImage.product_id == product_id)).first() is None
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    try:
        oauth_state.consume(stale.state, "ebay", seller["id"], seller["id"])
    except InvalidOAuthState:
        pass
    else:
        raise AssertionError("an expired state must not be accepted")
    assert oauth_state.consume(fresh.state, "ebay", seller["id"], seller["id"]) is None


def test_a_state_expires_after_ten_minutes(marketplaces):
    seller = register_and_login()
    issued = datetime.now(UTC)
    state = oauth_state.create("etsy", seller["id"], seller["id"], code_verifier="v" * 64, now=issued)
    assert state.expires_at == issued + timedelta(minutes=10)
    try:
        late = issued + timedelta(minutes=10, seconds=1)
        oauth_state.consume(state.state, "etsy", seller["id"], seller["id"], now=late)
    except InvalidOAuthState:
        pass
    else:
        raise AssertionError("a state older than 10 minutes must be refused")
    assert (
        oauth_state.consume(state.state, "etsy", seller["id"], seller["id"], now=issued + timedelta(minutes=9))
        == "v" * 64
    )


def test_a_cross_listed_tenant_is_checked_every_three_minutes_a_sale_delisted_within_five(
    marketplaces, job_runner, seller, vinted_delete
):
    """A simulated clock drives the minute schedule: the tenant's checks come when due, and a sale
    made just after a check has its delists queued at the next one."""
    from stoflow.services.marketplace_schedules import fan_out_order_syncs

    world, tenant = marketplaces, seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "CAD-1")
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    checks, delisted_at, sold_at = [], None, 3
    for minute in range(12):
        fan_out_order_syncs(now=start + timedelta(minutes=minute))
        ran = job_runner.run_all(tenant=tenant)
        if minute == sold_at:  # just after that minute's check
            world.ebay.sell("CAD-1", when=datetime.now(UTC) - timedelta(seconds=90))
        checks.extend(minute for _, marketplace, action, _ in ran if (marketplace, action) == ("ebay", "sync_orders"))
        if delisted_at is None and delist_jobs(tenant, product_id):
            delisted_at = minute
    assert checks == [0, 3, 6, 9]
    assert delisted_at == 6  # the next check: 3 minutes after the sale, within the 5-minute budget
    assert delist_jobs(tenant, product_id) == [("etsy", "completed"), ("vinted", "completed")]


def test_a_tenant_with_nothing_listed_is_not_checked_until_a_listing_goes_live(marketplaces, job_runner):
    from stoflow.services.marketplace_schedules import fan_out_order_syncs

    world, seller = marketplaces, register_and_login()
    connect(world, seller["access_token"], "ebay")
    tenant = seller["id"]
    start = datetime.now(UTC) + timedelta(minutes=1)
    ebay_checks = []
    for minute in range(5):
        fan_out_order_syncs(now=start + timedelta(minutes=minute))
        ran = job_runner.run_all(tenant=tenant)
        ebay_checks.extend(
            minute for _, marketplace, action, _ in ran if (marketplace, action) == ("ebay", "sync_orders")
        )
    assert ebay_checks == [0]  # the first look, then nothing to watch
    with tenant_session(tenant) as session:
        assert session.get(OrderCheck, "ebay").due_at is None
    (product_id,) = add_products(tenant, 1)
    with tenant_session(tenant) as session:  # a listing goes live: the checks wake up
        jobs_repository.upsert_listing(session, product_id, "ebay", status="listed")
        assert session.get(OrderCheck, "ebay").due_at is not None
    fan_out_order_syncs(now=start + timedelta(minutes=6))
    ran = job_runner.run_all(tenant=tenant)
    assert [(m, a) for _, m, a, _ in ran] == [("ebay", "sync_orders")]
    with tenant_session(tenant) as session:  # listed on eBay only: hourly
        due = session.get(OrderCheck, "ebay").due_at
        assert due == start + timedelta(minutes=6) + timedelta(hours=1)
