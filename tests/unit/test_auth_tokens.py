"""Access tokens against the attacks they must refuse (no database: pure token logic)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from stoflow.auth.keys import KeyRing, KeyStore, generate_private_pem, keyring_from_pems
from stoflow.auth.tokens import TOKEN_TYPE, issue_access_token, verify_access_token
from stoflow.config import Settings
from stoflow.errors import InvalidToken

SETTINGS = Settings(jwt_issuer="stoflow-test", jwt_audience="stoflow-api-test", access_token_ttl_s=900, jwt_leeway_s=0)


@pytest.fixture(scope="module")
def pems() -> tuple[bytes, bytes]:
    return generate_private_pem(), generate_private_pem()


@pytest.fixture(scope="module")
def ring(pems) -> KeyRing:
    return keyring_from_pems(pems[0])


def issue(ring: KeyRing, **overrides) -> str:
    return issue_access_token(
        user_id=7,
        tenant_id=7,
        role="user",
        session_id="2b1d1a8e-1c2f-4c55-9a43-3d5a5e0b8a11",
        keyring=ring,
        settings=overrides.pop("settings", SETTINGS),
        **overrides,
    ).token


def verify(token: str, ring: KeyRing, settings: Settings = SETTINGS):
    return verify_access_token(token, keystore=KeyStore(settings, keyring=ring), settings=settings)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**extra) -> dict:
    now = int(time.time())
    return {
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "sub": "7",
        "iat": now,
        "exp": now + 600,
        "jti": "j1",
        "sid": "2b1d1a8e-1c2f-4c55-9a43-3d5a5e0b8a11",
        "tid": 7,
        "role": "admin",
        **extra,
    }


def test_a_genuine_token_verifies_with_every_claim(ring):
    token = issue(ring)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": ring.current.kid, "typ": TOKEN_TYPE}
    payload = jwt.decode(token, options={"verify_signature": False})
    assert {"iss", "aud", "sub", "iat", "exp", "jti", "sid", "tid"} <= payload.keys()
    assert payload["exp"] - payload["iat"] == 900
    verified = verify(token, ring)
    assert (verified.user_id, verified.tenant_id, verified.role) == (7, 7, "user")


def test_alg_none_is_refused(ring):
    header = {"alg": "none", "typ": TOKEN_TYPE, "kid": ring.current.kid}
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}."
    with pytest.raises(InvalidToken) as caught:
        verify(token, ring)
    assert caught.value.code == "invalid_token_algorithm"


def test_hs256_signed_with_the_public_key_is_refused(ring):
    """The key-confusion attack: the public key (published on /auth/jwks.json) used as HMAC secret."""
    public_pem = ring.current.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": TOKEN_TYPE, "kid": ring.current.kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken) as caught:
        verify(f"{signing_input}.{b64(signature)}", ring)
    assert caught.value.code == "invalid_token_algorithm"


@pytest.mark.parametrize("alg", ["HS256", "HS512", "RS512", "PS256", "ES256"])
def test_every_other_algorithm_is_refused_before_any_key_is_used(ring, alg):
    header = {"alg": alg, "typ": TOKEN_TYPE, "kid": ring.current.kid}
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}.{b64(b'x' * 32)}"
    with pytest.raises(InvalidToken) as caught:
        verify(token, ring)
    assert caught.value.code == "invalid_token_algorithm"


def test_a_valid_rs256_signature_with_a_tampered_payload_is_refused(ring):
    token = issue(ring)
    head, _, signature = token.split(".")
    forged = f"{head}.{b64(json.dumps(claims(role='admin', sub='1')).encode())}.{signature}"
    with pytest.raises(InvalidToken):
        verify(forged, ring)


def test_expired_token_is_refused(ring):
    token = issue(ring, now=time.time() - 3600)
    with pytest.raises(InvalidToken) as caught:
        verify(token, ring)
    assert caught.value.code == "token_expired"


def test_wrong_audience_is_refused(ring):
    other = SETTINGS.model_copy(update={"jwt_audience": "someone-else"})
    with pytest.raises(InvalidToken):
        verify(issue(ring, settings=other), ring)


def test_wrong_issuer_is_refused(ring):
    other = SETTINGS.model_copy(update={"jwt_issuer": "evil"})
    with pytest.raises(InvalidToken):
        verify(issue(ring, settings=other), ring)


def test_unknown_kid_is_refused(ring, pems):
    stranger = keyring_from_pems(generate_private_pem())
    with pytest.raises(InvalidToken) as caught:
        verify(issue(stranger), ring)
    assert caught.value.code == "unknown_key"


def test_a_stranger_key_claiming_our_kid_is_refused(ring):
    stranger = keyring_from_pems(generate_private_pem())
    forged = jwt.encode(
        claims(), stranger.current.private_key, algorithm="RS256", headers={"kid": ring.current.kid, "typ": TOKEN_TYPE}
    )
    with pytest.raises(InvalidToken):
        verify(forged, ring)


def test_previous_key_is_accepted_during_rotation_and_new_tokens_use_the_new_key(pems):
    before = keyring_from_pems(pems[0])
    after = keyring_from_pems(pems[1], [pems[0]])
    old_token = issue(before)
    assert verify(old_token, after).user_id == 7
    new_token = issue(after)
    assert jwt.get_unverified_header(new_token)["kid"] == after.current.kid != before.current.kid
    # Once the old key leaves the ring, its tokens are refused.
    with pytest.raises(InvalidToken):
        verify(old_token, keyring_from_pems(pems[1]))


@pytest.mark.parametrize("missing", ["exp", "iat", "jti", "sid", "tid", "aud", "iss", "sub"])
def test_a_missing_claim_is_refused(ring, missing):
    payload = claims()
    del payload[missing]
    token = jwt.encode(
        payload, ring.current.private_key, algorithm="RS256", headers={"kid": ring.current.kid, "typ": TOKEN_TYPE}
    )
    with pytest.raises(InvalidToken):
        verify(token, ring)


def test_a_jwt_that_is_not_an_access_token_is_refused(ring):
    token = jwt.encode(claims(), ring.current.private_key, algorithm="RS256", headers={"kid": ring.current.kid})
    with pytest.raises(InvalidToken):
        verify(token, ring)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "...."])
def test_garbage_is_refused(ring, garbage):
    with pytest.raises(InvalidToken):
        verify(garbage, ring)


class CountingStore(KeyStore):
    def __init__(self, rings: list[KeyRing]) -> None:
        super().__init__(SETTINGS)
        self.rings = rings
        self.loads = 0

    def _load(self) -> KeyRing:
        self.loads += 1
        return self.rings[min(self.loads - 1, len(self.rings) - 1)]


def test_an_unknown_kid_reloads_keys_once_then_waits(pems):
    """A container that has not seen a rotated-in key yet picks it up; forged kids cannot make it
    reload on every request."""
    before = keyring_from_pems(pems[0])
    after = keyring_from_pems(pems[1], [pems[0]])
    store = CountingStore([before, after])
    store.get()
    store._loaded_at -= 60  # the first load was a while ago
    token = issue(after)
    assert verify_access_token(token, keystore=store, settings=SETTINGS).user_id == 7
    assert store.loads == 2
    stranger = keyring_from_pems(generate_private_pem())
    for _ in range(3):
        with pytest.raises(InvalidToken):
            verify_access_token(issue(stranger), keystore=store, settings=SETTINGS)
    assert store.loads == 2


def test_token_verification_imports_no_web_framework():
    """WebSocket and worker functions verify tokens; they must not pay for FastAPI or Starlette."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import stoflow.auth.tokens, stoflow.auth.keys, stoflow.auth.principal, stoflow.services.auth\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'fastapi', 'starlette'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_a_token_verified_once_is_still_refused_once_it_expires(pems, monkeypatch) -> None:
    ring = keyring_from_pems(pems[0])
    token = issue(ring)
    first = verify(token, ring)
    assert verify(token, ring) == first  # the second time from what the ring remembers
    monkeypatch.setattr(time, "time", lambda: first.expires_at + 1.0)
    with pytest.raises(InvalidToken) as refused:
        verify(token, ring)
    assert refused.value.code == "token_expired"


def test_a_remembered_token_is_checked_again_by_a_ring_without_its_key(pems) -> None:
    old = keyring_from_pems(pems[0])
    token = issue(old)
    verify(token, old)
    with pytest.raises(InvalidToken) as refused:
        verify(token, keyring_from_pems(pems[1]))  # the key was retired: the new ring knows nothing of it
    assert refused.value.code == "unknown_key"


def test_a_remembered_token_is_not_accepted_for_another_audience(pems) -> None:
    ring = keyring_from_pems(pems[0])
    token = issue(ring)
    verify(token, ring)
    other = SETTINGS.model_copy(update={"jwt_audience": "another-api"})
    with pytest.raises(InvalidToken):
        verify(token, ring, other)
