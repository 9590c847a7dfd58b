"""IAM authentication to the RDS Proxy: tokens signed locally, reused per container until their
age says otherwise, asked for only when a connection opens (stoflow.db.iam_auth, db.engine)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from stoflow import runtime
from stoflow.config import Settings
from stoflow.db import engine as engine_module
from stoflow.db.iam_auth import IamAuthToken


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_signer() -> tuple[list[tuple[str, int, str, str]], object]:
    calls: list[tuple[str, int, str, str]] = []

    def sign(host: str, port: int, user: str, region: str) -> str:
        calls.append((host, port, user, region))
        return f"token-{len(calls)}"

    return calls, sign


def test_a_token_is_reused_until_its_max_age_then_signed_again():
    clock = Clock()
    calls, sign = counting_signer()
    token = IamAuthToken("proxy.example", 5432, "stoflow_app", "eu-west-3", max_age_s=600, clock=clock, sign=sign)
    assert token() == "token-1"
    clock.now += 599
    assert token() == "token-1"
    clock.now += 1
    assert token() == "token-2"
    assert calls == [("proxy.example", 5432, "stoflow_app", "eu-west-3")] * 2


@pytest.mark.parametrize("max_age_s", [0, 15 * 60, 3600])
def test_a_token_is_never_kept_as_long_as_it_lives(max_age_s):
    with pytest.raises(ValueError, match="15 minutes"):
        IamAuthToken("h", 5432, "u", "eu-west-3", max_age_s=max_age_s)


def test_boto3_signs_a_token_for_the_proxy_and_the_role_without_calling_aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("STOFLOW_AWS_ENDPOINT_URL", raising=False)
    runtime.reset()
    try:
        token = IamAuthToken("proxy.example", 5432, "stoflow_app", "eu-west-3", max_age_s=600)()
    finally:
        runtime.reset()
    parts = urlsplit("https://" + token)
    query = parse_qs(parts.query)
    assert parts.hostname == "proxy.example" and parts.port == 5432
    assert query["Action"] == ["connect"] and query["DBUser"] == ["stoflow_app"]
    assert query["X-Amz-Expires"] == ["900"] and "X-Amz-Signature" in query


def iam_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "DATABASE_URL": None,
        "database_iam_auth": True,
        "database_tls": True,
        "database_host": "proxy.example",
        "database_name": "stoflow",
        "database_user": "stoflow_app",
    }
    values.update(overrides)
    return Settings(**values)


def test_iam_auth_connects_as_the_role_to_the_proxy_and_asks_a_token_per_new_connection(monkeypatch):
    built = {}

    def build_engine(url, **kwargs):
        built.update(url=url, **kwargs)
        return "engine"

    monkeypatch.setattr(engine_module, "build_engine", build_engine)
    assert engine_module.engine_from_settings(iam_settings()) == "engine"
    url = built["url"]
    assert (url.username, url.host, url.port, url.database, url.password) == (
        "stoflow_app",
        "proxy.example",
        5432,
        "stoflow",
        None,
    )
    assert isinstance(built["password"], IamAuthToken) and built["tls"] is True
    # The migrator logs in as the master user to create the roles: same proxy, another token.
    engine_module.engine_from_settings(iam_settings(), user="stoflow")
    assert built["url"].username == "stoflow" and built["password"].user == "stoflow"


def test_iam_tokens_never_travel_without_tls():
    with pytest.raises(ValidationError, match="database_tls"):
        iam_settings(database_tls=False)
