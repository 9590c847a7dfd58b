"""`stoflow secrets init --stage dev` fills the template's empty secrets once; rotation keeps the
keys still in use (moto's Secrets Manager)."""

from __future__ import annotations

import json

import boto3
import pytest
from cryptography.fernet import Fernet
from moto import mock_aws

from stoflow import runtime
from stoflow.auth.keys import keyring_from_secret
from stoflow.cli import main
from stoflow.config import get_settings
from stoflow.services import secrets


@pytest.fixture
def manager(monkeypatch):
    """Secrets Manager with the four secrets the template creates, empty (no value yet)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    for name in ("STOFLOW_AWS_ENDPOINT_URL", "STOFLOW_EBAY_CLIENT_ID", "STOFLOW_ETSY_KEYSTRING"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    runtime.reset()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=get_settings().aws_region)
        for kind in secrets.SECRET_NAMES:
            client.create_secret(Name=secrets.secret_name("dev", kind))
        yield client
        runtime.reset()
    get_settings.cache_clear()


def value(client, kind: str) -> dict:
    return json.loads(client.get_secret_value(SecretId=secrets.secret_name("dev", kind))["SecretString"])


def test_init_generates_the_keys_and_fills_the_app_secrets_from_the_variables(manager, monkeypatch, capsys):
    for name, setting in {
        "STOFLOW_EBAY_CLIENT_ID": "app-id",
        "STOFLOW_EBAY_CLIENT_SECRET": "app-secret",
        "STOFLOW_EBAY_RU_NAME": "ru-name",
        "STOFLOW_ETSY_KEYSTRING": "keystring",
        "STOFLOW_ETSY_SHARED_SECRET": "shared",
    }.items():
        monkeypatch.setenv(name, setting)
    get_settings.cache_clear()
    assert main(["secrets", "init", "--stage", "dev"]) == 0
    out = capsys.readouterr().out
    assert out.count(": filled") == 4
    assert "app-secret" not in out  # credentials are never printed
    keyring_from_secret(json.dumps(value(manager, "jwt-keys")))  # a usable signing key
    (key,) = value(manager, "marketplace-token-keys")["keys"]
    Fernet(key.encode())
    assert value(manager, "ebay-app") == {
        "client_id": "app-id",
        "client_secret": "app-secret",
        "ru_name": "ru-name",
        "environment": "sandbox",
    }
    assert value(manager, "etsy-app") == {"keystring": "keystring", "shared_secret": "shared"}


def test_init_never_overwrites_and_says_what_is_missing(manager, capsys):
    manager.put_secret_value(SecretId=secrets.secret_name("dev", "jwt-keys"), SecretString='{"current": "x"}')
    assert main(["secrets", "init", "--stage", "dev"]) == 3  # the app keys could not be filled
    out = capsys.readouterr().out
    assert "stoflow/dev/jwt-keys: kept" in out
    assert "stoflow/dev/ebay-app: skipped (set STOFLOW_EBAY_CLIENT_ID" in out
    assert value(manager, "jwt-keys") == {"current": "x"}


def test_rotation_keeps_the_previous_jwt_key_and_the_recent_token_keys(manager):
    jwt_name = secrets.secret_name("dev", "jwt-keys")
    first = secrets.rotate_jwt_keys(jwt_name)
    second = secrets.rotate_jwt_keys(jwt_name)
    ring = keyring_from_secret(json.dumps(value(manager, "jwt-keys")))
    assert ring.current.kid == second and [key.kid for key in ring.previous] == [first]

    token_name = secrets.secret_name("dev", "marketplace-token-keys")
    for _ in range(6):
        secrets.rotate_token_keys(token_name)
    keys = value(manager, "marketplace-token-keys")["keys"]
    assert len(keys) == secrets.TOKEN_KEYS_KEPT and len(set(keys)) == len(keys)


def test_the_rotation_function_rotates_what_its_schedule_names(manager, monkeypatch):
    from tests.support.api import load_function

    monkeypatch.setenv("STOFLOW_JWT_KEYS_SECRET_ARN", secrets.secret_name("dev", "jwt-keys"))
    monkeypatch.setenv(
        "STOFLOW_MARKETPLACE_TOKEN_KEYS_SECRET_ARN", secrets.secret_name("dev", "marketplace-token-keys")
    )
    get_settings.cache_clear()
    handler = load_function("key_rotation").handler
    assert "jwt_keys" in handler({"task": "rotate_jwt_keys"}, None)
    assert handler({"task": "rotate_token_keys"}, None) == {"token_keys_kept": 1}
    with pytest.raises(ValueError):
        handler({"task": "rotate_everything"}, None)


def test_locally_the_rotation_schedule_has_nothing_to_rotate(monkeypatch):
    from tests.support.api import load_function

    for name in ("STOFLOW_JWT_KEYS_SECRET_ARN", "STOFLOW_MARKETPLACE_TOKEN_KEYS_SECRET_ARN", "STOFLOW_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert "skipped" in load_function("key_rotation").handler({"task": "rotate_jwt_keys"}, None)
        monkeypatch.setenv("STOFLOW_ENVIRONMENT", "prod")
        get_settings.cache_clear()
        with pytest.raises(RuntimeError):
            load_function("key_rotation").handler({"task": "rotate_jwt_keys"}, None)
    finally:
        get_settings.cache_clear()


def test_app_keys_are_read_through_parameters_with_a_max_age(manager, monkeypatch):
    from stoflow.marketplaces.common import apps

    name = secrets.secret_name("dev", "etsy-app")
    manager.put_secret_value(SecretId=name, SecretString='{"keystring": "old", "shared_secret": "s"}')
    monkeypatch.setenv("STOFLOW_ETSY_APP_SECRET_ARN", name)
    get_settings.cache_clear()
    runtime.reset()
    assert apps.etsy_keys().keystring == "old"
    manager.put_secret_value(SecretId=name, SecretString='{"keystring": "new", "shared_secret": "s"}')
    assert apps.etsy_keys().keystring == "old"  # within APP_KEYS_MAX_AGE_S: the cached value
    runtime.reset()  # what the max age does after 5 minutes
    assert apps.etsy_keys().keystring == "new"
    runtime.reset()
