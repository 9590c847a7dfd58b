"""eBay's Marketplace Account Deletion endpoint (required before eBay enables production keys):
the challenge answered with SHA-256(challenge code + verification token + endpoint URL), signed
notices recorded once, and the closed account's data removed from every tenant by the hourly pass."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.models import EbayCredentials, EbayOrder
from stoflow.models.deletion_notices import DeletionNotice
from stoflow.services.deletion_notices import process_pending
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller
from tests.support.marketplaces import NOTIFICATION_ENDPOINT as ENDPOINT
from tests.support.marketplaces import NOTIFICATION_TOKEN as TOKEN
from tests.support.marketplaces import post_notice

call = caller("marketplaces")


def test_the_challenge_is_answered(endpoint):
    reply = call("GET", "/marketplaces/ebay/notifications?challenge_code=a8628072-3d33-45ee-9004-bee86830a22d")
    assert reply.status == 200, reply
    expected = hashlib.sha256(f"a8628072-3d33-45ee-9004-bee86830a22d{TOKEN}{ENDPOINT}".encode()).hexdigest()
    assert reply.json == {"challengeResponse": expected}
    assert call("GET", "/marketplaces/ebay/notifications").status == 422
    assert call("GET", "/marketplaces/etsy/notifications?challenge_code=x").status == 422  # no such endpoint


def test_without_a_verification_token_the_endpoint_says_so(marketplaces):
    reply = call("GET", "/marketplaces/ebay/notifications?challenge_code=abc")
    assert (reply.status, reply.json["code"]) == (503, "marketplace_not_configured")


def test_a_signed_notice_is_recorded_once_and_a_forged_one_refused(endpoint):
    world = endpoint
    headers, body = world.ebay.account_deletion_notice("closed_user", "uid-1")
    assert post_notice(headers, body).status == 204
    assert post_notice(headers, body).status == 204  # eBay retries: still one notice
    forged = body.replace(b"closed_user", b"someone_else")
    reply = post_notice(headers, forged)
    assert (reply.status, reply.json["code"]) == (422, "invalid_signature")
    assert post_notice({}, body).json["code"] == "invalid_signature"
    with shared_session() as session:
        rows = session.scalars(select(DeletionNotice).where(DeletionNotice.user_id == "uid-1")).all()
        assert [(r.marketplace, r.username) for r in rows] == [("ebay", "closed_user")]


def test_the_closed_account_is_forgotten_by_every_tenant(endpoint, job_runner, seller):
    world, tenant = endpoint, seller["id"]
    world.ebay.sell("UNKNOWN-SKU")  # bought by the sandbox's buyer_jane
    enqueue(tenant, JobRequest("ebay", "sync_orders"))
    job_runner.run_all(tenant=tenant)
    with tenant_session(tenant) as session:
        assert [o.buyer_username for o in session.scalars(select(EbayOrder))] == ["buyer_jane"]
        session.get(EbayCredentials, 1).username = "seller_closing"
    for username, user_id in (("buyer_jane", "uid-jane"), ("seller_closing", "uid-seller")):
        assert post_notice(*world.ebay.account_deletion_notice(username, user_id)).status == 204
    report = process_pending()
    assert report["notices"] >= 2 and report["failed"] == []
    with tenant_session(tenant) as session:
        assert [o.buyer_username for o in session.scalars(select(EbayOrder))] == [None]
        credentials = session.get(EbayCredentials, 1)
        assert (credentials.status, credentials.username, credentials.access_token_enc) == ("disconnected", None, None)
    assert process_pending()["notices"] == 0  # processed once
