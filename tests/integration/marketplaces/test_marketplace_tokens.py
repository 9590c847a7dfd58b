"""Token refresh: before expiry, under the credentials row lock (two workers never refresh one
account at once), Etsy's rotated refresh token always stored, a refused refresh marks the
connection for re-authorisation, and no token ever reaches a log line."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from stoflow.db.tenancy import tenant_session
from stoflow.marketplaces.common import crypto
from stoflow.marketplaces.common.http import MarketplaceApiError
from stoflow.marketplaces.common.tokens import AccountTokens
from stoflow.marketplaces.ebay.oauth import EbayOAuth
from stoflow.marketplaces.etsy.oauth import EtsyOAuth
from stoflow.models import EbayCredentials, EtsyCredentials
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import register_and_login
from tests.support.marketplaces import EBAY_CLIENT_SECRET, ETSY_SECRET, connect, product_with_photos


def expire(tenant, model):
    with tenant_session(tenant) as session:
        session.get(model, 1).access_expires_at = datetime.now(UTC) - timedelta(seconds=5)


def wait_for_a_lock_waiter(engine, attempts=400):
    """Until another backend waits on a row lock (polled; no timing is asserted)."""
    for _ in range(attempts):
        with engine.connect() as connection, connection.begin():
            waiting = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("the second worker never waited for the row lock")


def test_two_workers_refresh_one_account_once(marketplaces, engine):
    world = marketplaces
    seller = register_and_login()
    tenant = seller["id"]
    connect(world, seller["access_token"], "etsy")
    expire(tenant, EtsyCredentials)
    world.etsy.expire_access_tokens()

    def tokens():
        # Two workers are two containers: each its own connection (the run's pool, not one container's).
        return AccountTokens("etsy", EtsyOAuth(), lambda: tenant_session(tenant, engine=engine))

    results: dict[str, str] = {}
    second = threading.Thread(target=lambda: results.__setitem__("second", tokens().get()))
    original = world.etsy.token

    def token_endpoint(request):
        if b"grant_type=refresh_token" in request.content and not second.is_alive() and "second" not in results:
            second.start()  # the second worker arrives while the first is refreshing
            # Watched from a pool of its own: this thread holds the first worker's connection.
            watcher = create_engine(engine.url, poolclass=NullPool)
            wait_for_a_lock_waiter(watcher)
            watcher.dispose()
        return original(request)

    world.etsy.token = token_endpoint
    results["first"] = tokens().get()
    second.join()
    assert world.etsy.refreshes == 1
    assert results["first"] == results["second"]
    with tenant_session(tenant) as session:
        row = session.get(EtsyCredentials, 1)
        assert crypto.decrypt(row.refresh_token_enc) in world.etsy.refresh_tokens  # the rotated one
        assert row.access_expires_at > datetime.now(UTC) + timedelta(minutes=50)


def test_a_refused_refresh_asks_for_reauthorisation(marketplaces, job_runner):
    world = marketplaces
    seller = register_and_login()
    tenant = seller["id"]
    connect(world, seller["access_token"], "ebay")
    expire(tenant, EbayCredentials)
    world.ebay.refresh_tokens.clear()  # the seller revoked our access on eBay
    try:
        AccountTokens("ebay", EbayOAuth(), lambda: tenant_session(tenant)).get()
    except MarketplaceApiError as exc:
        assert exc.code == "not_connected"
    else:
        raise AssertionError("a refused refresh must fail")
    with tenant_session(tenant) as session:
        row = session.get(EbayCredentials, 1)
        assert row.status == "needs_reauth" and "invalid_grant" in row.last_error
    product_id = product_with_photos(tenant)
    from stoflow.errors import Conflict

    try:
        enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    except Conflict as exc:
        assert exc.code == "marketplace_not_connected"
    else:
        raise AssertionError("jobs for a connection needing re-authorisation are refused")


def test_an_expired_refresh_token_is_not_even_sent(marketplaces):
    world = marketplaces
    seller = register_and_login()
    tenant = seller["id"]
    connect(world, seller["access_token"], "etsy")
    expire(tenant, EtsyCredentials)
    with tenant_session(tenant) as session:
        session.get(EtsyCredentials, 1).refresh_expires_at = datetime.now(UTC) - timedelta(days=1)
    calls = len(world.etsy.requests)
    try:
        AccountTokens("etsy", EtsyOAuth(), lambda: tenant_session(tenant)).get()
    except MarketplaceApiError as exc:
        assert exc.code == "not_connected"
    else:
        raise AssertionError("an expired refresh token must not work")
    assert len(world.etsy.requests) == calls
    with tenant_session(tenant) as session:
        row = session.get(EtsyCredentials, 1)
        assert (row.status, row.last_error) == ("needs_reauth", "token refresh refused: refresh_token_expired")


def test_a_401_on_a_fresh_looking_token_refreshes_once_and_retries(marketplaces, job_runner):
    world = marketplaces
    seller = register_and_login()
    connect(world, seller["access_token"], "ebay")
    world.ebay.expire_access_tokens()  # eBay dropped the token early; our row still says valid
    from tests.support.api import caller

    reply = caller("marketplaces")("GET", "/marketplaces/ebay/policies", token=seller["access_token"])
    assert reply.status == 200, reply
    assert world.ebay.refreshes == 1


def test_no_token_in_any_log_line_through_whole_flows(marketplaces, job_runner, caplog):
    caplog.set_level(logging.DEBUG)
    world = marketplaces
    seller = register_and_login()
    tenant, token = seller["id"], seller["access_token"]
    issued: set[str] = set()
    for marketplace in ("ebay", "etsy"):
        connect(world, token, marketplace)
    issued |= set(world.ebay.access_tokens) | world.ebay.refresh_tokens
    issued |= set(world.etsy.access_tokens) | world.etsy.refresh_tokens
    expire(tenant, EbayCredentials)
    expire(tenant, EtsyCredentials)
    world.ebay.expire_access_tokens()
    world.etsy.expire_access_tokens()
    world.etsy.fail("POST", r"/listings$", 503, headers={"Retry-After": "1"})
    from tests.support.api import caller

    call = caller("marketplaces")
    call(
        "PATCH",
        "/marketplaces/ebay/settings",
        {"location": {"country": "FR", "city": "Lyon"}, "default_category_id": "11483"},
        token=token,
    )
    call("PATCH", "/marketplaces/etsy/settings", {"shipping_profile_id": 9001, "default_taxonomy_id": 1}, token=token)
    product_id = product_with_photos(tenant)
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    enqueue(tenant, JobRequest("etsy", "publish", product_ids=[product_id]))
    assert {s for *_, s in job_runner.run_all()} == {"completed"}
    issued |= set(world.ebay.access_tokens) | world.ebay.refresh_tokens
    issued |= set(world.etsy.access_tokens) | world.etsy.refresh_tokens
    assert world.ebay.refreshes == 1 and world.etsy.refreshes == 1 and world.sleeps == [1.0]
    secrets = {*issued, EBAY_CLIENT_SECRET, ETSY_SECRET}
    assert caplog.records
    for record in caplog.records:
        # The message, its arguments, any traceback, and every extra field (JSON logs print them).
        line = record.getMessage() + repr(record.args) + (record.exc_text or "") + repr(vars(record))
        leaked = [s for s in secrets if s in line or s.split(".", 1)[-1] in line]
        assert not leaked, line
