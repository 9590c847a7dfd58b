"""/vinted: conversations (read, reply as a job) and unlinked wardrobe items (list, link), through
the vinted function."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from stoflow import runtime
from stoflow.db.tenancy import tenant_session
from stoflow.jobs.queue import QUEUE
from stoflow.models import MarketplaceJob, MarketplaceListing, Product, VintedConversation, VintedProduct
from tests.support.api import Call, caller, register_and_login
from tests.support.devices import device_principal
from tests.support.jobs import FakeQueue


@pytest.fixture
def queue(identity) -> Iterator[FakeQueue]:
    recorded = FakeQueue()
    with runtime.provided(QUEUE, recorded):
        yield recorded


@pytest.fixture
def call(identity) -> Call:
    return caller("vinted")


def _conversation(tenant_id: int, conversation_id: int, **values: Any) -> int:
    with tenant_session(tenant_id) as session:
        row = VintedConversation(conversation_id=conversation_id, **values)
        session.add(row)
        session.flush()
        return int(row.id)


def _item(tenant_id: int, vinted_item_id: int, **values: Any) -> int:
    with tenant_session(tenant_id) as session:
        row = VintedProduct(vinted_item_id=vinted_item_id, **values)
        session.add(row)
        session.flush()
        return int(row.id)


def _product(tenant_id: int, title: str = "Jupe") -> int:
    with tenant_session(tenant_id) as session:
        row = Product(title=title)
        session.add(row)
        session.flush()
        return int(row.id)


def test_conversations_list_and_detail_with_messages(call) -> None:
    account = register_and_login()
    tenant = account["id"]
    messages = [
        {"id": 1, "entity_type": "message", "body": "Toujours dispo ?", "user_id": 77, "created_at": "2026-11-01"},
        {"id": 2, "entity_type": "message", "body": "Oui", "user_id": 5, "created_at": "2026-11-02"},
    ]
    first = _conversation(tenant, 9001, opposite_user="lea", unread=True, messages=messages)
    _conversation(tenant, 9002, opposite_user="max")

    listed = call("GET", "/vinted/conversations", token=account["access_token"])
    assert listed.status == 200, listed
    assert listed.json["total"] == 2 and "messages" not in listed.json["items"][0]
    unread = call("GET", "/vinted/conversations?unread=true", token=account["access_token"])
    assert [(c["id"], c["message_count"]) for c in unread.json["items"]] == [(first, 2)]

    detail = call("GET", f"/vinted/conversations/{first}", token=account["access_token"])
    assert detail.status == 200, detail
    assert detail.json["conversation_id"] == 9001
    assert [m["body"] for m in detail.json["messages"]] == ["Toujours dispo ?", "Oui"]


def test_reply_is_queued_as_a_vinted_job(call, queue) -> None:
    account = register_and_login()
    tenant = account["id"]
    conversation = _conversation(tenant, 9100)
    not_paired = call(
        "POST", f"/vinted/conversations/{conversation}/messages", {"body": "Bonjour"}, token=account["access_token"]
    )
    assert not_paired.status == 409 and not_paired.json["code"] == "marketplace_not_connected", not_paired
    assert queue.take() == []

    device_principal(tenant)  # a paired extension: Vinted counts as connected
    replied = call(
        "POST",
        f"/vinted/conversations/{conversation}/messages",
        {"body": "  Bonjour, oui !  "},
        token=account["access_token"],
    )
    assert replied.status == 202, replied
    assert replied.headers["location"] == f"/jobs/{replied.json['job_id']}"
    with tenant_session(tenant) as session:
        job = session.get(MarketplaceJob, replied.json["job_id"])
        assert job is not None
        assert (job.marketplace, job.action, job.status) == ("vinted", "send_message", "pending")
        assert job.input == {"conversation_id": 9100, "body": "Bonjour, oui !"}
    assert [m.job_id for m in queue.take()] == [replied.json["job_id"]]


def test_unlinked_items_and_link(call) -> None:
    account = register_and_login()
    tenant, token = account["id"], account["access_token"]
    product = _product(tenant)
    other_product = _product(tenant, "Autre")
    item = _item(tenant, 555, title="Jupe plissée", price=Decimal("12.00"), url="https://www.vinted.fr/items/555")
    _item(tenant, 556, product_id=other_product)  # already linked: not listed
    _item(tenant, 557, deleted_at=None, is_closed=True, title="Fermé")

    unlinked = call("GET", "/vinted/wardrobe/unlinked", token=token)
    assert unlinked.status == 200, unlinked
    assert {i["vinted_item_id"] for i in unlinked.json["items"]} == {555, 557}

    linked = call("POST", f"/vinted/wardrobe/{item}/link", {"product_id": product}, token=token)
    assert linked.status == 200 and linked.json["product_id"] == product, linked
    again = call("POST", f"/vinted/wardrobe/{item}/link", {"product_id": product}, token=token)
    assert again.status == 200
    assert {i["vinted_item_id"] for i in call("GET", "/vinted/wardrobe/unlinked", token=token).json["items"]} == {557}
    with tenant_session(tenant) as session:
        listing = session.scalars(select(MarketplaceListing).where(MarketplaceListing.product_id == product)).one()
        assert (listing.marketplace, listing.status, listing.external_id) == ("vinted", "listed", "555")

    elsewhere = call("POST", f"/vinted/wardrobe/{item}/link", {"product_id": other_product}, token=token)
    assert elsewhere.status == 409 and elsewhere.json["code"] == "wardrobe_item_linked"
    closed = _item(tenant, 558)
    taken = call("POST", f"/vinted/wardrobe/{closed}/link", {"product_id": other_product}, token=token)
    assert taken.status == 409 and taken.json["code"] == "product_already_on_vinted"


def test_another_tenants_ids_answer_404(call, queue) -> None:
    owner = register_and_login()
    # Row ids start at 1 in each tenant schema: the owner's ids here are past any of the intruder's.
    _conversation(owner["id"], 9199)
    conversation = _conversation(owner["id"], 9200, messages=[{"id": 1, "body": "privé"}])
    _item(owner["id"], 599)
    item = _item(owner["id"], 600)
    _product(owner["id"])
    owner_product = _product(owner["id"])
    intruder = register_and_login()
    device_principal(intruder["id"])
    mine = _item(intruder["id"], 601)
    token = intruder["access_token"]

    for reply in (
        call("GET", f"/vinted/conversations/{conversation}", token=token),
        call("POST", f"/vinted/conversations/{conversation}/messages", {"body": "hé"}, token=token),
    ):
        assert reply.status == 404 and reply.json["code"] == "conversation_not_found", reply
    my_product = _product(intruder["id"])
    assert (mine, my_product) == (1, 1) and (item, owner_product, conversation) == (2, 2, 2)
    theirs = call("POST", f"/vinted/wardrobe/{item}/link", {"product_id": my_product}, token=token)
    assert theirs.status == 404 and theirs.json["code"] == "wardrobe_item_not_found"
    their_product = call("POST", f"/vinted/wardrobe/{mine}/link", {"product_id": owner_product}, token=token)
    assert their_product.status == 404 and their_product.json["code"] == "product_not_found"
    assert call("GET", "/vinted/conversations", token=token).json["total"] == 0
    assert {i["id"] for i in call("GET", "/vinted/wardrobe/unlinked", token=token).json["items"]} == {mine}
    assert queue.take() == []


def test_bad_input_is_a_4xx_problem(call) -> None:
    account = register_and_login()
    token = account["access_token"]
    conversation = _conversation(account["id"], 9300)
    for method, path, body in (
        ("GET", "/vinted/conversations/0", None),
        ("GET", f"/vinted/conversations/{2**63}", None),
        ("GET", "/vinted/conversations?limit=1000", None),
        ("GET", "/vinted/conversations?unread=maybe", None),
        (
            "POST",
            f"/vinted/conversations/{conversation}/messages",
            {"body": "   "},
        ),
        ("POST", f"/vinted/conversations/{conversation}/messages", {"body": "x" * 2001}),
        ("POST", f"/vinted/conversations/{conversation}/messages", {"body": "a\x00b"}),
        ("POST", f"/vinted/conversations/{conversation}/messages", {"body": "ok", "extra": 1}),
        ("POST", "/vinted/wardrobe/1/link", {"product_id": 0}),
        ("POST", "/vinted/wardrobe/1/link", {"product_id": "abc"}),
        ("POST", "/vinted/wardrobe/1/link", {}),
        ("GET", "/vinted/wardrobe/unlinked?offset=-1", None),
    ):
        reply = call(method, path, body, token=token)
        assert reply.status == 422, (method, path, body, reply)
        assert reply.headers["content-type"] == "application/problem+json"
    assert call("GET", "/vinted/conversations").status == 401
