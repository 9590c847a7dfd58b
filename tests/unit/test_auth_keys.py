"""Signing keys: generated and kept locally, read from Secrets Manager on AWS, rotation, JWKS."""

from __future__ import annotations

import json
import stat

import boto3
import pytest
from moto import mock_aws

from stoflow import runtime
from stoflow.auth.keys import (
    KeyStore,
    generate_private_pem,
    keyring_from_pems,
    load_local_keyring,
    rotate_local_keys,
    rotate_secret_keys,
)
from stoflow.auth.principal import Principal, authorize
from stoflow.config import Settings
from stoflow.errors import Forbidden


def test_local_keys_are_generated_once_private_and_kept(tmp_path):
    first = load_local_keyring(tmp_path / "keys")
    again = load_local_keyring(tmp_path / "keys")
    assert first.current.kid == again.current.kid
    mode = stat.S_IMODE((tmp_path / "keys" / "current.pem").stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)
    assert first.previous == ()


def test_local_rotation_keeps_the_previous_key_for_verification(tmp_path):
    before = load_local_keyring(tmp_path / "keys")
    after = rotate_local_keys(tmp_path / "keys")
    assert after.current.kid != before.current.kid
    assert [k.kid for k in after.previous] == [before.current.kid]
    assert after.previous[0].private_key is None  # the previous key verifies, never signs
    assert {k["kid"] for k in after.jwks()["keys"]} == {before.current.kid, after.current.kid}


def test_jwks_publishes_public_parts_only():
    ring = keyring_from_pems(generate_private_pem())
    (key,) = ring.jwks()["keys"]
    assert key.keys() == {"kty", "n", "e", "kid", "alg", "use"}
    assert key["alg"] == "RS256" and key["use"] == "sig" and key["e"] == "AQAB"


@mock_aws
def test_keys_come_from_secrets_manager_and_are_cached_per_container(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    runtime.reset()
    current, previous = generate_private_pem(), generate_private_pem()
    sm = boto3.client("secretsmanager", region_name="eu-west-3")
    arn = sm.create_secret(
        Name="stoflow/test/jwt-keys",
        SecretString=json.dumps({"current": current.decode(), "previous": previous.decode()}),
    )["ARN"]
    settings = Settings(jwt_keys_secret_arn=arn, aws_region="eu-west-3")
    monkeypatch.setattr("stoflow.config.get_settings", lambda: settings)
    store = KeyStore(settings)
    ring = store.get()
    assert ring.current.kid == keyring_from_pems(current).current.kid
    assert [k.kid for k in ring.previous] == [keyring_from_pems(previous).current.kid]
    # Rotated in the secret: this container keeps its cached keys until the TTL passes.
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"current": generate_private_pem().decode()}))
    assert store.get() is ring
    store._loaded_at -= settings.jwt_keys_cache_ttl_s + 1
    assert store.get().current.kid != ring.current.kid
    runtime.reset()


@mock_aws
def test_secret_rotation_creates_then_rotates_and_an_empty_secret_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    runtime.reset()
    arn = boto3.client("secretsmanager", region_name="eu-west-3").create_secret(Name="stoflow/dev/jwt-keys")["ARN"]
    settings = Settings(jwt_keys_secret_arn=arn, aws_region="eu-west-3", environment="dev")
    monkeypatch.setattr("stoflow.config.get_settings", lambda: settings)
    with pytest.raises(RuntimeError, match="has no value"):
        KeyStore(settings).get()
    first = rotate_secret_keys(arn)
    assert first.previous == ()
    second = rotate_secret_keys(arn)
    assert [k.kid for k in second.previous] == [first.current.kid]
    loaded = KeyStore(settings).get()
    assert loaded.current.kid == second.current.kid and [k.kid for k in loaded.previous] == [first.current.kid]
    runtime.reset()


def test_deployed_stages_refuse_per_container_local_keys(tmp_path):
    with pytest.raises(RuntimeError, match="JWT_KEYS_SECRET_ARN"):
        KeyStore(Settings(environment="prod", data_dir=tmp_path)).get()
    assert not (tmp_path / "keys").exists()


def principal(role: str) -> Principal:
    return Principal(user_id=1, tenant_id=1, role=role, session_id="s", jti="j")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_support_is_read_only(method):
    authorize(principal("support"), "GET")
    with pytest.raises(Forbidden) as caught:
        authorize(principal("support"), method)
    assert caught.value.code == "read_only_role"
    authorize(principal("user"), method)
    authorize(principal("admin"), method)


def test_roles_outside_the_allowed_set_are_refused():
    authorize(principal("admin"), "DELETE", {"admin"})
    for role in ("user", "support"):
        with pytest.raises(Forbidden) as caught:
            authorize(principal(role), "GET", {"admin"})
        assert caught.value.code == "role_forbidden"
