"""The access token's tenant claim is compared with its user's tenant on every request: a token
signed with our key but naming another tenant opens nothing (defence in depth)."""

from __future__ import annotations

import pytest

from stoflow.auth.tokens import issue_access_token, verify_access_token
from tests.support.api import caller, register_and_login

pytestmark = pytest.mark.usefixtures("identity")


def forged(account: dict, tenant_id: int) -> str:
    """The account's own session and key, another tenant in `tid`."""
    claims = verify_access_token(account["access_token"])
    return issue_access_token(
        user_id=claims.user_id, tenant_id=tenant_id, role=claims.role, session_id=claims.session_id
    ).token


@pytest.mark.parametrize(
    ("function", "path"),
    [("products", "/products"), ("jobs", "/jobs"), ("auth", "/auth/me"), ("marketplaces", "/orders")],
)
def test_a_token_naming_another_tenant_is_refused(function: str, path: str) -> None:
    attacker, victim = register_and_login(), register_and_login()
    call = caller(function)
    assert call("GET", path, token=attacker["access_token"]).status == 200
    reply = call("GET", path, token=forged(attacker, victim["id"]))
    assert reply.status == 401, reply
    assert reply.json["code"] == "tenant_mismatch"


def test_a_token_naming_an_unregistered_tenant_is_refused() -> None:
    account = register_and_login()
    reply = caller("auth")("GET", "/auth/me", token=forged(account, 2**31 - 7))
    assert reply.status == 401, reply
    assert reply.json["code"] == "tenant_mismatch"
