"""/auth through the Lambda handler with API Gateway HTTP API (payload 2.0) events, on PostgreSQL.

Every request below goes event → the gateway adapter → FastAPI → services → PostgreSQL and back as the
Lambda response dict that API Gateway would turn into HTTP.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any

import pytest
from fastapi import Depends
from sqlalchemy import func, select, text, update

from stoflow import runtime
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.deps import CurrentPrincipal, TenantDb, require_role
from stoflow.api.routing import api_router
from stoflow.auth import clock, passwords
from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.errors import Conflict
from stoflow.models import AuthSession, Product, Tenant, User
from tests.support.api import (
    Reply,
    caller,
    http_event,
    load_function,
    new_email,
    new_ip,
)


@pytest.fixture
def call(identity):
    return caller("auth")


def register_and_login(call, email: str | None = None, password: str = "correct horse battery") -> dict[str, Any]:
    email = email or new_email()
    ip = new_ip()
    registered = call("POST", "/auth/register", {"email": email, "password": password}, ip=ip)
    assert registered.status == 201, registered
    tokens = call("POST", "/auth/login", {"email": email, "password": password}, ip=ip)
    assert tokens.status == 200, tokens
    return {**tokens.json, "email": email, "password": password, "id": registered.json["id"]}


def sent_messages() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID][get_settings().aws_region].sent_messages


# --- the whole flow ------------------------------------------------------------------------------


def test_register_login_me_refresh_logout(call, identity):
    email, password = new_email(), "correct horse battery"
    registered = call("POST", "/auth/register", {"email": email.upper(), "password": password}, ip=new_ip())
    assert registered.status == 201, registered
    user_id = registered.json["id"]
    assert registered.json["email"] == email
    assert registered.json["tenant_id"] == user_id

    # The tenant schema exists and is registered under the user's id.
    with identity.connect() as connection, connection.begin():
        assert connection.scalar(select(Tenant.schema_name).where(Tenant.id == user_id)) == f"user_{user_id}"
        assert (
            connection.scalar(
                text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": f"user_{user_id}"},
            )
            == 1
        )

    login = call("POST", "/auth/login", {"email": email, "password": password}, ip=new_ip())
    assert login.status == 200, login
    assert set(login.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert login.json["token_type"] == "bearer" and login.json["expires_in"] == 900

    me = call("GET", "/auth/me", token=login.json["access_token"])
    assert me.status == 200, me
    assert me.json["id"] == user_id and me.json["role"] == "user" and me.json["email_verified"] is False
    assert me.json["quota"]["tier"] == "FREE"
    assert me.json["quota"]["max_products"] == 30
    assert me.json["quota"]["ai_credits_remaining"] == me.json["quota"]["ai_credits_monthly"] > 0

    refreshed = call("POST", "/auth/refresh", {"refresh_token": login.json["refresh_token"]}, ip=new_ip())
    assert refreshed.status == 200, refreshed
    assert refreshed.json["refresh_token"] != login.json["refresh_token"]
    assert call("GET", "/auth/me", token=refreshed.json["access_token"]).status == 200

    out = call("POST", "/auth/logout", token=refreshed.json["access_token"])
    assert out.status == 204, out
    assert call("GET", "/auth/me", token=refreshed.json["access_token"]).json["code"] == "token_revoked"


def test_security_headers_and_correlation_id_on_every_response(call):
    import io
    import logging

    from stoflow.logs import LOGGER_NAME, get_logger

    # The JSON handler's stream is whatever stdout was when the logger was built; read the same
    # formatter's output from a handler of our own instead.
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(get_logger().registered_formatter)
    logging.getLogger(LOGGER_NAME).addHandler(capture)
    try:
        reply = call("GET", "/auth/me", headers={"x-correlation-id": "corr-abc-123"})
        # Registration logs from the worker thread running the sync route: the id must follow it.
        call(
            "POST",
            "/auth/register",
            {"email": new_email(), "password": "x" * 12},
            ip=new_ip(),
            headers={"x-correlation-id": "corr-def-456"},
        )
    finally:
        logging.getLogger(LOGGER_NAME).removeHandler(capture)
    assert reply.status == 401
    assert reply.headers["x-correlation-id"] == "corr-abc-123"
    assert reply.json["correlation_id"] == "corr-abc-123"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["strict-transport-security"].startswith("max-age=")
    assert reply.headers["content-security-policy"].startswith("default-src 'none'")
    assert reply.headers["cache-control"] == "no-store"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) >= 2
    assert {line.get("correlation_id") for line in lines} == {"corr-abc-123", "corr-def-456"}, lines
    (sent,) = [line for line in lines if line["message"] == "verification email sent"]
    assert sent["correlation_id"] == "corr-def-456"
    assert all(line["service"] == "stoflow" for line in lines)


def test_api_gateway_request_id_is_the_default_correlation_id(call):
    event = http_event("GET", "/auth/jwks.json")
    handler = load_function("auth").handler
    raw = handler(event, None)
    assert raw["headers"]["x-correlation-id"] == event["requestContext"]["requestId"]


def test_named_stage_prefix_is_routed(call):
    assert call("GET", "/auth/jwks.json", stage="dev").status == 200


def test_jwks_and_openapi_are_served(call):
    jwks = call("GET", "/auth/jwks.json")
    assert jwks.status == 200 and jwks.headers["cache-control"].startswith("public")
    (key,) = jwks.json["keys"]
    assert key["alg"] == "RS256" and "d" not in key
    user = register_and_login(call)
    import jwt

    assert jwt.get_unverified_header(user["access_token"])["kid"] == key["kid"]
    document = call("GET", "/auth/openapi.json")
    assert document.status == 200
    assert {"/auth/login", "/auth/refresh", "/auth/logout", "/auth/me", "/auth/jwks.json"} <= set(
        document.json["paths"]
    )


# --- refresh rotation and revocation -------------------------------------------------------------


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(call):
    user = register_and_login(call)
    first = user["refresh_token"]
    second = call("POST", "/auth/refresh", {"refresh_token": first}, ip=new_ip())
    assert second.status == 200

    # The thief (or the client) replays the rotated token.
    replay = call("POST", "/auth/refresh", {"refresh_token": first}, ip=new_ip())
    assert replay.status == 401 and replay.json["code"] == "refresh_token_reused"

    # The legitimate newer refresh token is dead, and so are the family's access tokens.
    after = call("POST", "/auth/refresh", {"refresh_token": second.json["refresh_token"]}, ip=new_ip())
    assert after.status == 401 and after.json["code"] == "session_revoked"
    for access in (user["access_token"], second.json["access_token"]):
        refused = call("GET", "/auth/me", token=access)
        assert refused.status == 401 and refused.json["code"] == "token_revoked"
        assert refused.headers["www-authenticate"].startswith("Bearer")


def test_other_sessions_survive_a_family_revocation(call):
    user = register_and_login(call)
    other = call("POST", "/auth/login", {"email": user["email"], "password": user["password"]}, ip=new_ip()).json
    call("POST", "/auth/refresh", {"refresh_token": user["refresh_token"]}, ip=new_ip())
    call("POST", "/auth/refresh", {"refresh_token": user["refresh_token"]}, ip=new_ip())  # reuse
    assert call("GET", "/auth/me", token=other["access_token"]).status == 200


def test_logout_revokes_the_access_token_and_the_refresh_family(call):
    user = register_and_login(call)
    assert call("POST", "/auth/logout", token=user["access_token"]).status == 204
    me = call("GET", "/auth/me", token=user["access_token"])
    assert me.status == 401 and me.json["code"] == "token_revoked"
    refresh = call("POST", "/auth/refresh", {"refresh_token": user["refresh_token"]}, ip=new_ip())
    assert refresh.status == 401 and refresh.json["code"] == "session_revoked"
    assert call("POST", "/auth/logout", token=user["access_token"]).status == 401


def test_active_sessions_then_sign_out_everywhere(call):
    user = register_and_login(call)
    laptop = call("POST", "/auth/login", {"email": user["email"], "password": user["password"]}, ip=new_ip()).json
    stranger = register_and_login(call)

    listed = call("GET", "/auth/sessions", token=user["access_token"])
    assert listed.status == 200, listed
    assert len(listed.json["items"]) == 2
    assert [s["current"] for s in listed.json["items"]].count(True) == 1
    mine = call("GET", "/auth/sessions", token=laptop["access_token"]).json["items"]
    assert {s["id"] for s in mine} == {s["id"] for s in listed.json["items"]}
    assert next(s for s in mine if s["current"])["id"] != next(s for s in listed.json["items"] if s["current"])["id"]

    assert call("POST", "/auth/logout/everywhere", token=laptop["access_token"]).status == 204
    for tokens in (user, laptop):
        me = call("GET", "/auth/me", token=tokens["access_token"])
        assert me.status == 401 and me.json["code"] == "token_revoked"
        again = call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]}, ip=new_ip())
        assert again.status == 401 and again.json["code"] == "session_revoked"
    # Another account's sessions are not touched.
    assert call("GET", "/auth/me", token=stranger["access_token"]).status == 200
    assert call("GET", "/auth/sessions", token=stranger["access_token"]).json["items"][0]["current"] is True
    assert call("POST", "/auth/logout/everywhere").status == 401


def test_an_unknown_or_expired_refresh_token_is_refused(call, monkeypatch):
    unknown = call("POST", "/auth/refresh", {"refresh_token": "x" * 43}, ip=new_ip())
    assert unknown.status == 401 and unknown.json["code"] == "invalid_refresh_token"
    user = register_and_login(call)
    later = clock.now() + timedelta(days=7, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = call("POST", "/auth/refresh", {"refresh_token": user["refresh_token"]}, ip=new_ip())
    assert expired.status == 401 and expired.json["code"] == "refresh_token_expired"


def test_a_disabled_account_is_refused_on_its_next_request(call, identity):
    user = register_and_login(call)
    with identity.begin() as connection:
        connection.execute(update(User).where(User.id == user["id"]).values(is_active=False))
    me = call("GET", "/auth/me", token=user["access_token"])
    assert me.status == 401 and me.json["code"] == "account_disabled"


# --- the dependencies other areas build on -------------------------------------------------------


area_router = api_router(tags=["test"])


@area_router.get("/things")
def list_things(db: TenantDb, principal: CurrentPrincipal) -> dict[str, Any]:
    count = db.scalar(select(func.count()).select_from(Product))
    return {"count": count, "schema": db.info["tenant_schema"], "user": principal.user_id, "role": principal.role}


@area_router.post("/things")
def add_thing(db: TenantDb) -> dict[str, Any]:
    db.add(Product(title="jacket"))
    db.flush()
    return {"ok": True}


@area_router.post("/things/then-refuse")
async def add_thing_then_refuse(db: TenantDb) -> dict[str, Any]:
    db.add(Product(title="jacket"))
    db.flush()
    raise Conflict("refused after a write", code="refused")


@area_router.post("/things/failing-commit")
async def add_things_failing_at_commit(db: TenantDb) -> dict[str, Any]:
    db.add(Product(title="jacket"))
    db.flush()
    db.add(Product(title=None))  # NOT NULL: refused by the flush of the commit, after the route returned
    return {"ok": True}


@area_router.get("/admin/things")
def admin_only(principal: Annotated[Principal, Depends(require_role("admin"))]) -> dict[str, Any]:
    return {"admin": principal.user_id}


@pytest.fixture
def area_handler(identity):
    """A stand-in area function (like products) built with the same factory and dependencies."""
    return lambda_handler(create_app([area_router], title="area"))


def area(handler, method: str, path: str, token: str) -> Reply:
    return Reply(handler(http_event(method, path, token=token), None))


def set_role(engine, user_id: int, role: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == user_id).values(role=role))


def test_tenant_db_serves_the_callers_own_schema(call, area_handler):
    user = register_and_login(call)
    reply = area(area_handler, "GET", "/things", user["access_token"])
    assert reply.status == 200, reply
    assert reply.json == {"count": 0, "schema": f"user_{user['id']}", "user": user["id"], "role": "user"}
    assert area(area_handler, "POST", "/things", user["access_token"]).status == 200
    assert area(area_handler, "GET", "/things", user["access_token"]).json["count"] == 1


def test_a_route_that_raises_after_a_write_leaves_nothing_written(call, area_handler):
    user = register_and_login(call)
    refused = area(area_handler, "POST", "/things/then-refuse", user["access_token"])
    assert refused.status == 409 and refused.json["code"] == "refused"
    assert area(area_handler, "GET", "/things", user["access_token"]).json["count"] == 0


def test_a_commit_that_fails_after_the_route_returned_is_an_error_answer_and_writes_nothing(call, area_handler):
    user = register_and_login(call)
    failed = area(area_handler, "POST", "/things/failing-commit", user["access_token"])
    assert failed.status >= 400 and failed.json.get("ok") is None
    assert area(area_handler, "GET", "/things", user["access_token"]).json["count"] == 0
    # The container's connection was given back clean: the next write goes through.
    assert area(area_handler, "POST", "/things", user["access_token"]).status == 200
    assert area(area_handler, "GET", "/things", user["access_token"]).json["count"] == 1


def test_a_revoked_token_is_refused_on_the_next_request_through_tenant_db(call, area_handler, identity):
    user = register_and_login(call)
    assert area(area_handler, "GET", "/things", user["access_token"]).status == 200
    with identity.begin() as connection:
        connection.execute(update(AuthSession).where(AuthSession.user_id == user["id"]).values(revoked_at=func.now()))
    refused = area(area_handler, "GET", "/things", user["access_token"])
    assert refused.status == 401 and refused.json["code"] == "token_revoked"


def test_a_tenant_request_checks_the_registry_with_its_revocation_check(call, area_handler, identity):
    from sqlalchemy import Engine, event

    from stoflow.db.tenancy import known_tenants

    user = register_and_login(call)
    known_tenants.forget(user["id"])  # as in a new container
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        assert area(area_handler, "GET", "/things", user["access_token"]).status == 200
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    # First the check that joins the registry, and no registry lookup of its own.
    assert "JOIN public.auth_sessions" in statements[0] and "public.tenants" in statements[0]
    assert not [s for s in statements if s.startswith("SELECT public.tenants.id FROM public.tenants WHERE")]

    # A tenant gone from the registry (its user's tokens not yet revoked) opens nothing.
    with identity.begin() as connection:
        connection.execute(text("DELETE FROM public.tenants WHERE id = :id"), {"id": user["id"]})
    refused = area(area_handler, "GET", "/things", user["access_token"])
    assert refused.status == 401 and refused.json["code"] == "tenant_mismatch"


def test_roles_support_reads_only_and_admin_routes_need_admin(call, area_handler, identity):
    user = register_and_login(call)
    denied = area(area_handler, "GET", "/admin/things", user["access_token"])
    assert denied.status == 403 and denied.json["code"] == "role_forbidden"

    # The role is read from the database on every request: no new token needed.
    set_role(identity, user["id"], "support")
    assert area(area_handler, "GET", "/things", user["access_token"]).json["role"] == "support"
    write = area(area_handler, "POST", "/things", user["access_token"])
    assert write.status == 403 and write.json["code"] == "read_only_role"
    assert area(area_handler, "GET", "/admin/things", user["access_token"]).status == 403
    # Support may still log out.
    set_role(identity, user["id"], "admin")
    assert area(area_handler, "GET", "/admin/things", user["access_token"]).status == 200
    set_role(identity, user["id"], "support")
    assert call("POST", "/auth/logout", token=user["access_token"]).status == 204


# --- passwords, lockout, rate limits -------------------------------------------------------------


def test_wrong_password_and_unknown_email_answer_alike_and_cost_one_argon2_each(call, monkeypatch):
    user = register_and_login(call)
    calls: list[str] = []
    from argon2 import PasswordHasher

    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def counting_verify(self, *args, **kwargs):
        calls.append("verify")
        return real_verify(self, *args, **kwargs)

    def counting_hash(self, *args, **kwargs):
        calls.append("hash")
        return real_hash(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)

    wrong = call("POST", "/auth/login", {"email": user["email"], "password": "not the password"}, ip=new_ip())
    known_cost = len(calls)
    calls.clear()
    unknown = call("POST", "/auth/login", {"email": new_email(), "password": "not the password"}, ip=new_ip())
    unknown_cost = len(calls)
    assert wrong.status == unknown.status == 401
    assert wrong.json["code"] == unknown.json["code"] == "invalid_credentials"
    assert wrong.json["detail"] == unknown.json["detail"]
    assert known_cost == unknown_cost == 1


@pytest.mark.parametrize("known", [True, False], ids=["known-email", "unknown-email"])
def test_lockout_after_repeated_failures_then_unlocks_when_the_window_ends(call, monkeypatch, known):
    settings = get_settings()
    user = register_and_login(call) if known else {"email": new_email(), "password": "whatever it is"}
    for _ in range(settings.login_max_failures):
        failed = call("POST", "/auth/login", {"email": user["email"], "password": "wrong password!"}, ip=new_ip())
        assert failed.status == 401
    locked = call("POST", "/auth/login", {"email": user["email"], "password": user["password"]}, ip=new_ip())
    assert locked.status == 429 and locked.json["code"] == "account_locked"
    retry_after = int(locked.headers["retry-after"])
    assert 1 <= retry_after <= settings.login_failure_window_s

    later = clock.now() + timedelta(seconds=settings.login_failure_window_s + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    unlocked = call("POST", "/auth/login", {"email": user["email"], "password": user["password"]}, ip=new_ip())
    assert unlocked.status == (200 if known else 401)


def test_login_rate_limit_per_ip_answers_429_with_retry_after(call, monkeypatch):
    monkeypatch.setenv("STOFLOW_LOGIN_RATE_PER_IP", "3")
    get_settings.cache_clear()
    ip = new_ip()
    for _ in range(3):
        assert call("POST", "/auth/login", {"email": new_email(), "password": "x" * 12}, ip=ip).status == 401
    limited = call("POST", "/auth/login", {"email": new_email(), "password": "x" * 12}, ip=ip)
    assert limited.status == 429 and limited.json["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= get_settings().rate_window_s
    assert call("POST", "/auth/login", {"email": new_email(), "password": "x" * 12}, ip=new_ip()).status == 401


def test_login_rate_limit_per_account_spans_ips(call, monkeypatch):
    monkeypatch.setenv("STOFLOW_LOGIN_RATE_PER_ACCOUNT", "2")
    monkeypatch.setenv("STOFLOW_LOGIN_MAX_FAILURES", "50")
    get_settings.cache_clear()
    email = new_email()
    for _ in range(2):
        call("POST", "/auth/login", {"email": email, "password": "x" * 12}, ip=new_ip())
    limited = call("POST", "/auth/login", {"email": email, "password": "x" * 12}, ip=new_ip())
    assert limited.status == 429 and "retry-after" in limited.headers


def test_register_and_refresh_are_rate_limited_per_ip(call, monkeypatch):
    monkeypatch.setenv("STOFLOW_REGISTER_RATE_PER_IP", "1")
    monkeypatch.setenv("STOFLOW_REFRESH_RATE_PER_IP", "1")
    get_settings.cache_clear()
    ip = new_ip()
    assert call("POST", "/auth/register", {"email": new_email(), "password": "y" * 12}, ip=ip).status == 201
    second = call("POST", "/auth/register", {"email": new_email(), "password": "y" * 12}, ip=ip)
    assert second.status == 429 and second.headers["retry-after"].isdigit()
    assert call("POST", "/auth/refresh", {"refresh_token": "z" * 43}, ip=ip).status == 401
    assert call("POST", "/auth/refresh", {"refresh_token": "z" * 43}, ip=ip).status == 429


# --- registration --------------------------------------------------------------------------------


def _user_schemas(engine) -> int:
    with engine.connect() as connection, connection.begin():
        return connection.scalar(
            text("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'user\\_%'")
        )


def test_a_failing_tenant_creation_leaves_no_user_and_no_schema(call, identity, monkeypatch):
    from stoflow.db import provisioning as tenants

    real_provision = tenants.provision

    def provision_then_fail(connection, tenant_id):
        real_provision(connection, tenant_id)  # schema created and registered, then...
        raise RuntimeError("disk full while creating the tenant")

    monkeypatch.setattr(tenants, "provision", provision_then_fail)
    email = new_email()
    schemas_before = _user_schemas(identity)
    reply = call("POST", "/auth/register", {"email": email, "password": "correct horse battery"}, ip=new_ip())
    assert reply.status == 500 and reply.json["code"] == "internal_error"
    assert "disk full" not in json.dumps(reply.json)
    with identity.connect() as connection, connection.begin():
        assert connection.scalar(select(func.count()).select_from(User).where(User.email == email)) == 0
    assert _user_schemas(identity) == schemas_before

    monkeypatch.setattr(tenants, "provision", real_provision)
    retry = call("POST", "/auth/register", {"email": email, "password": "correct horse battery"}, ip=new_ip())
    assert retry.status == 201


def test_a_taken_email_is_409_and_creates_nothing(call, identity):
    user = register_and_login(call)
    schemas_before = _user_schemas(identity)
    again = call("POST", "/auth/register", {"email": user["email"], "password": "another password"}, ip=new_ip())
    assert again.status == 409 and again.json["code"] == "email_taken"
    assert _user_schemas(identity) == schemas_before


def test_validation_errors_are_problem_json(call):
    reply = call("POST", "/auth/register", {"email": "not-an-email", "password": "long enough pw"}, ip=new_ip())
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json["code"] == "validation_error"
    assert reply.json["errors"][0]["loc"] == ["body", "email"]
    weak = call("POST", "/auth/register", {"email": new_email(), "password": "short"}, ip=new_ip())
    assert weak.status == 422 and weak.json["code"] == "weak_password"
    extra = call("POST", "/auth/login", {"email": new_email(), "password": "p" * 12, "role": "admin"}, ip=new_ip())
    assert extra.status == 422 and extra.json["code"] == "validation_error"
    malformed = Reply(load_function("auth").handler({**http_event("POST", "/auth/login"), "body": "{"}, None))
    assert malformed.status == 422 and malformed.json["code"] == "validation_error"


def test_wrong_method_and_unknown_route_are_problems(call):
    assert call("GET", "/auth/login").json["code"] == "method_not_allowed"
    assert call("GET", "/auth/nothing-here").json["code"] == "not_found"


# --- email verification --------------------------------------------------------------------------


def _token_from_last_email(to: str) -> str:
    message = [m for m in sent_messages() if to in m.destinations["ToAddresses"]][-1]
    match = re.search(r"token=([A-Za-z0-9_\-]+)", message.body)
    assert match, message.body
    return match.group(1)


def test_email_verification_through_ses_and_required_login(call, monkeypatch):
    monkeypatch.setenv("STOFLOW_EMAIL_VERIFICATION_REQUIRED", "true")
    get_settings.cache_clear()
    email, password = new_email(), "correct horse battery"
    assert call("POST", "/auth/register", {"email": email, "password": password}, ip=new_ip()).status == 201
    token = _token_from_last_email(email)

    blocked = call("POST", "/auth/login", {"email": email, "password": password}, ip=new_ip())
    assert blocked.status == 403 and blocked.json["code"] == "email_not_verified"

    assert call("POST", "/auth/verify-email", {"token": token}).status == 204
    again = call("POST", "/auth/verify-email", {"token": token})
    assert again.status == 400 and again.json["code"] == "invalid_verification_token"

    login = call("POST", "/auth/login", {"email": email, "password": password}, ip=new_ip())
    assert login.status == 200
    assert call("GET", "/auth/me", token=login.json["access_token"]).json["email_verified"] is True


def test_verification_links_expire_after_a_day_and_can_be_resent(call, monkeypatch):
    email = new_email()
    call("POST", "/auth/register", {"email": email, "password": "correct horse battery"}, ip=new_ip())
    first = _token_from_last_email(email)
    later = clock.now() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert call("POST", "/auth/verify-email", {"token": first}).status == 400
    assert call("POST", "/auth/verify-email/resend", {"email": email}, ip=new_ip()).status == 202
    second = _token_from_last_email(email)
    assert second != first
    assert call("POST", "/auth/verify-email", {"token": second}).status == 204
    # Unknown addresses get the same answer and no email.
    count = len(sent_messages())
    assert call("POST", "/auth/verify-email/resend", {"email": new_email()}, ip=new_ip()).status == 202
    assert len(sent_messages()) == count


def test_ai_credits_are_spent_atomically_within_the_monthly_allowance(call, identity):
    from datetime import date

    from stoflow.db.tenancy import shared_session
    from stoflow.repositories.subscriptions import spend_ai_credits

    user = register_and_login(call)
    monthly = call("GET", "/auth/me", token=user["access_token"]).json["quota"]["ai_credits_monthly"]
    period = clock.now().date().replace(day=1)
    with shared_session() as session:
        assert spend_ai_credits(session, user["id"], monthly - 1, period) == 1
        assert spend_ai_credits(session, user["id"], 2, period) is None
        assert spend_ai_credits(session, user["id"], 1, period) == 0
        assert spend_ai_credits(session, user["id"], 1, period) is None
        assert spend_ai_credits(session, user["id"], 1, date(2001, 1, 1)) == monthly - 1
    quota = call("GET", "/auth/me", token=user["access_token"]).json["quota"]
    assert quota["ai_credits_used"] == monthly and quota["ai_credits_remaining"] == 0


def test_a_login_upgrades_a_hash_made_with_older_argon2_parameters(call, identity, monkeypatch):
    user = register_and_login(call)
    with identity.connect() as connection, connection.begin():
        before = connection.scalar(select(User.password_hash).where(User.id == user["id"]))
    assert before.startswith("$argon2id$") and ",t=1," in before
    monkeypatch.setenv("STOFLOW_ARGON2_TIME_COST", "2")
    get_settings.cache_clear()
    runtime.reset()
    login = call("POST", "/auth/login", {"email": user["email"], "password": user["password"]}, ip=new_ip())
    assert login.status == 200
    with identity.connect() as connection, connection.begin():
        after = connection.scalar(select(User.password_hash).where(User.id == user["id"]))
    assert ",t=2," in after and passwords.verify_password(after, user["password"])
