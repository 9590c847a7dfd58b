"""Password reset by email and password change, through the auth function (SES mocked by moto)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from stoflow.auth import clock
from stoflow.auth.opaque import digest
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.models import PasswordResetToken
from tests.integration.test_auth_http import sent_messages
from tests.support.api import Call, caller, new_email, new_ip

PASSWORD = "correct horse battery"


@pytest.fixture
def call(identity, monkeypatch) -> Call:
    monkeypatch.setenv("STOFLOW_DASHBOARD_ORIGIN", "https://app.stoflow.test")
    get_settings.cache_clear()
    return caller("auth")


def _account(call: Call) -> dict[str, Any]:
    email = new_email()
    assert call("POST", "/auth/register", {"email": email, "password": PASSWORD}, ip=new_ip()).status == 201
    tokens = [call("POST", "/auth/login", {"email": email, "password": PASSWORD}, ip=new_ip()).json for _ in range(2)]
    return {"email": email, "tokens": tokens}


def _link(to: str, subject: str) -> str:
    message = [m for m in sent_messages() if to in m.destinations["ToAddresses"] and m.subject == subject][-1]
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def _reset_token(to: str) -> str:
    link = urlsplit(_link(to, "Reset your StoFlow password"))
    assert (link.scheme, link.netloc, link.path) == ("https", "app.stoflow.test", "/reset-password")
    return parse_qs(link.query)["token"][0]


def test_reset_by_email_is_single_use_hashed_and_signs_out_everywhere(call) -> None:
    account = _account(call)
    email = account["email"]
    assert call("POST", "/auth/password/forgot", {"email": email.upper()}, ip=new_ip()).status == 202
    token = _reset_token(email)
    with shared_session() as session:  # only the digest is stored
        stored = session.scalars(select(PasswordResetToken.token_hash)).all()
    assert digest(token) in stored and token not in stored

    reset = call("POST", "/auth/password/reset", {"token": token, "password": "a brand new secret"})
    assert reset.status == 204, reset
    for tokens in account["tokens"]:
        refused = call("GET", "/auth/me", token=tokens["access_token"])
        assert refused.status == 401 and refused.json["code"] == "token_revoked"
        assert call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]}, ip=new_ip()).status == 401
    again = call("POST", "/auth/password/reset", {"token": token, "password": "yet another secret"})
    assert again.status == 400 and again.json["code"] == "invalid_reset_token"
    assert call("POST", "/auth/login", {"email": email, "password": PASSWORD}, ip=new_ip()).status == 401
    login = call("POST", "/auth/login", {"email": email, "password": "a brand new secret"}, ip=new_ip())
    assert login.status == 200
    assert call("GET", "/auth/me", token=login.json["access_token"]).json["email_verified"] is True


def test_reset_links_expire_and_a_newer_use_burns_the_older(call, monkeypatch) -> None:
    email = _account(call)["email"]
    call("POST", "/auth/password/forgot", {"email": email}, ip=new_ip())
    first = _reset_token(email)
    call("POST", "/auth/password/forgot", {"email": email}, ip=new_ip())
    second = _reset_token(email)
    assert first != second
    assert call("POST", "/auth/password/reset", {"token": second, "password": "a brand new secret"}).status == 204
    assert call("POST", "/auth/password/reset", {"token": first, "password": "another new secret"}).status == 400

    call("POST", "/auth/password/forgot", {"email": email}, ip=new_ip())
    third = _reset_token(email)
    later = clock.now() + timedelta(seconds=get_settings().password_reset_ttl_s + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = call("POST", "/auth/password/reset", {"token": third, "password": "another new secret"})
    assert expired.status == 400 and expired.json["code"] == "invalid_reset_token"


def test_forgot_says_nothing_about_unknown_addresses_and_is_rate_limited(call) -> None:
    count = len(sent_messages())
    assert call("POST", "/auth/password/forgot", {"email": new_email()}, ip=new_ip()).status == 202
    assert len(sent_messages()) == count
    email = _account(call)["email"]
    answers = [call("POST", "/auth/password/forgot", {"email": email}, ip=new_ip()) for _ in range(4)]
    assert [a.status for a in answers] == [202, 202, 202, 429]
    assert answers[-1].headers["content-type"] == "application/problem+json"


def test_change_password_keeps_this_session_and_revokes_the_others(call) -> None:
    account = _account(call)
    mine, other = account["tokens"]
    wrong = call(
        "POST",
        "/auth/password/change",
        {"current_password": "not it at all", "new_password": "a brand new secret"},
        token=mine["access_token"],
    )
    assert wrong.status == 400 and wrong.json["code"] == "wrong_password"
    same = call(
        "POST",
        "/auth/password/change",
        {"current_password": PASSWORD, "new_password": PASSWORD},
        token=mine["access_token"],
    )
    assert same.status == 422 and same.json["code"] == "same_password"
    changed = call(
        "POST",
        "/auth/password/change",
        {"current_password": PASSWORD, "new_password": "a brand new secret"},
        token=mine["access_token"],
    )
    assert changed.status == 204, changed
    assert call("GET", "/auth/me", token=mine["access_token"]).status == 200
    assert call("GET", "/auth/me", token=other["access_token"]).json["code"] == "token_revoked"
    login = call("POST", "/auth/login", {"email": account["email"], "password": "a brand new secret"}, ip=new_ip())
    assert login.status == 200


def test_password_routes_bad_input_is_a_4xx_problem(call) -> None:
    account = _account(call)
    token = account["tokens"][0]["access_token"]
    for path, body, auth in (
        ("/auth/password/forgot", {"email": "not an address"}, None),
        ("/auth/password/forgot", {}, None),
        ("/auth/password/reset", {"token": "short", "password": "a brand new secret"}, None),
        ("/auth/password/reset", {"token": "x" * 43}, None),
        ("/auth/password/reset", {"token": "x" * 43, "password": "a brand new secret", "extra": 1}, None),
        ("/auth/password/change", {"current_password": PASSWORD}, token),
        ("/auth/password/change", {"current_password": PASSWORD, "new_password": "x" * 2000}, token),
    ):
        reply = call("POST", path, body, token=auth, ip=new_ip())
        assert reply.status == 422, (path, body, reply)
        assert reply.headers["content-type"] == "application/problem+json"
    weak = call("POST", "/auth/password/reset", {"token": "x" * 43, "password": "short"})
    assert weak.status == 422 and weak.json["code"] == "weak_password"
    unknown = call("POST", "/auth/password/reset", {"token": "x" * 43, "password": "a brand new secret"})
    assert unknown.status == 400 and unknown.json["code"] == "invalid_reset_token"
    assert call("POST", "/auth/password/change", {"current_password": "a", "new_password": "b"}).status == 401


def test_verification_links_point_at_the_dashboard(call) -> None:
    email = new_email()
    assert call("POST", "/auth/register", {"email": email, "password": PASSWORD}, ip=new_ip()).status == 201
    link = urlsplit(_link(email, "Confirm your StoFlow email address"))
    assert (link.scheme, link.netloc, link.path) == ("https", "app.stoflow.test", "/verify-email")
    assert call("POST", "/auth/verify-email", {"token": parse_qs(link.query)["token"][0]}).status == 204
