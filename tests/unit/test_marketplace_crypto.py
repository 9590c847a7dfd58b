"""Marketplace tokens at rest: MultiFernet with key rotation, keys from Secrets Manager or a local
file, and a reload when a ciphertext names a key this container does not hold yet."""

from __future__ import annotations

import json
import stat

import boto3
import pytest
from cryptography.fernet import Fernet, InvalidToken
from moto import mock_aws

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.marketplaces.common import crypto
from stoflow.marketplaces.common.crypto import TokenCipher


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("STOFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STOFLOW_MARKETPLACE_TOKEN_KEYS_SECRET_ARN", raising=False)
    get_settings.cache_clear()
    runtime.reset()
    yield
    runtime.reset()
    get_settings.cache_clear()


def test_rotation_without_downtime():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    before = TokenCipher([old]).encrypt("refresh-token-1")
    during = TokenCipher([new, old])  # new key first: it encrypts, both decrypt
    assert during.decrypt(before) == "refresh-token-1"
    rotated = during.rotate(before)
    assert rotated != before and TokenCipher([new]).decrypt(rotated) == "refresh-token-1"
    with pytest.raises(InvalidToken):
        TokenCipher([new]).decrypt(before)  # once the old key is gone, only rotated tokens remain


def test_local_key_is_generated_once_and_private(tmp_path):
    ciphertext = crypto.encrypt("access")
    path = tmp_path / "keys" / "fernet.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    runtime.reset()
    assert crypto.decrypt(ciphertext) == "access"  # the same key after a restart
    assert "access" not in ciphertext


def test_keys_from_secrets_manager_and_reload_on_an_unknown_key(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with mock_aws():
        runtime.reset()
        sm = boto3.client("secretsmanager", region_name=get_settings().aws_region)
        arn = sm.create_secret(Name="stoflow/test/marketplace-token-keys", SecretString=json.dumps({"keys": [old]}))[
            "ARN"
        ]
        monkeypatch.setenv("STOFLOW_MARKETPLACE_TOKEN_KEYS_SECRET_ARN", arn)
        get_settings.cache_clear()
        runtime.reset()
        assert crypto.decrypt(crypto.encrypt("t1")) == "t1"
        # Rotation elsewhere: another container already writes with the new key.
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"keys": [new, old]}))
        written_elsewhere = TokenCipher([new, old]).encrypt("t2")
        assert crypto.decrypt(written_elsewhere) == "t2"  # unknown key: keys reloaded, then decrypted
        assert TokenCipher([new]).decrypt(crypto.encrypt("t3")) == "t3"  # and we now write with it
    runtime.reset()
