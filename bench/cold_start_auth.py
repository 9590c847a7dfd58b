"""Cold start of the auth function vs the bare import of its libraries, both in fresh processes.

Cold start = a new interpreter imports functions/auth/app.py (building the app and the Lambda
handler) and answers a first API Gateway v2 event. Two first requests are measured: GET
/auth/me (verify the token, connect to PostgreSQL, revocation check, profile query) and GET
/auth/jwks.json (no database). The baseline is a new interpreter importing only the libraries
the function stands on. Both are timed inside the child from before the first import, so the
interpreter's own start-up (the same for both) is left out of both; medians of RUNS each,
alternated so that machine noise falls on both sides.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import REPO, figure, scratch_database

RUNS = 9
# The libraries as named in the budget...
LIBRARIES = ["fastapi", "pydantic", "sqlalchemy", "pg8000", "jwt", "argon2", "aws_lambda_powertools"]
# ...and what those libraries load lazily before any such function answers: SQLAlchemy's ORM and
# PostgreSQL dialect (create_engine("postgresql+pg8000://") imports it, ~80 ms on its own),
# pydantic-settings (configuration), and pydantic.v1, which FastAPI imports when it analyses the
# first route taking a body model.
LIBRARIES_IN_USE = [
    *LIBRARIES,
    "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql.pg8000",
    "pydantic_settings",
    "pydantic.v1",
]
MARK = "@@bench@@"


def bare(libraries: list[str]) -> str:
    # The collector paused, as a function pauses it before its first import (stoflow.cold_start):
    # the floor gets the same saving on the libraries, so the ratio only credits our own code.
    return f"""
import time
t0 = time.perf_counter()
import gc
gc.disable()
import {", ".join(libraries)}
print({MARK!r}, time.perf_counter() - t0)
"""


COLD = f"""
import time
t0 = time.perf_counter()
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("auth_app", {str(REPO / "functions" / "auth" / "app.py")!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter() - t0
event = json.loads(sys.argv[1])
response = module.handler(event, None)
assert response["statusCode"] == 200, response
print({MARK!r}, time.perf_counter() - t0, imported)
"""


def event(path: str, token: str | None = None) -> dict:
    headers = {"host": "abc.execute-api.eu-west-3.amazonaws.com", "user-agent": "bench", "x-forwarded-proto": "https"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.execute-api.eu-west-3.amazonaws.com",
            "domainPrefix": "abc",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "b"},
            "requestId": "bench=",
            "routeKey": f"GET {path}",
            "stage": "$default",
            "time": "22/Nov/2026:03:00:00 +0000",
            "timeEpoch": 1795230000000,
        },
        "isBase64Encoded": False,
    }


def _child(code: str, env: dict[str, str], *args: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return [float(x) for x in line.split()[1:]]
    raise RuntimeError(f"child failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def _prepare_account(env: dict[str, str]) -> str:
    """Register a user and log in (in a child, with the bench's settings); return the access token."""
    code = f"""
from stoflow.services.accounts import register
from stoflow.services.auth import login
register("bench@example.com", "bench password 123", "192.0.2.1")
print({MARK!r}, login("bench@example.com", "bench password 123", "192.0.2.1").access_token)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return line.split()[1]
    raise RuntimeError(f"account setup failed:\n{out.stderr[-4000:]}")


def main() -> None:
    from stoflow.db.migrations import migrate_shared

    with scratch_database(pool_size=1) as (engine, url), tempfile.TemporaryDirectory() as data_dir:
        migrate_shared(engine)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "STOFLOW_DATA_DIR": data_dir,
            "STOFLOW_ENVIRONMENT": "local",
            "STOFLOW_LOG_LEVEL": "WARNING",
        }
        token = _prepare_account(env)  # also generates the keys, as the first local run would
        me = json.dumps(event("/auth/me", token))
        jwks = json.dumps(event("/auth/jwks.json"))
        # One discarded round: bytecode caches written, files in the page cache.
        _child(bare(LIBRARIES_IN_USE), env)
        _child(COLD, env, me)
        bare_named, bare_in_use, cold_me, cold_jwks, imports = [], [], [], [], []
        for _ in range(RUNS):
            bare_named.append(_child(bare(LIBRARIES), env)[0])
            bare_in_use.append(_child(bare(LIBRARIES_IN_USE), env)[0])
            total, imported = _child(COLD, env, me)
            cold_me.append(total)
            imports.append(imported)
            cold_jwks.append(_child(COLD, env, jwks)[0])
        named, in_use = statistics.median(bare_named), statistics.median(bare_in_use)
        me_s, jwks_s = statistics.median(cold_me), statistics.median(cold_jwks)
        print(f"median of {RUNS} fresh processes each; baseline A = import {', '.join(LIBRARIES)};")
        print(f"baseline B = A + {', '.join(LIBRARIES_IN_USE[len(LIBRARIES) :])} (loaded lazily by the libraries)")
        figure(
            "auth cold start: import + first GET /auth/me",
            me_s,
            "A: bare import, libraries as named",
            named,
            "<= 1.30x",
        )
        figure(
            "auth cold start: import + first GET /auth/me", me_s, "B: bare import, libraries in use", in_use, "<= 1.30x"
        )
        figure(
            "auth cold start: import + first /jwks.json",
            jwks_s,
            "A: bare import, libraries as named",
            named,
            "<= 1.30x",
        )
        figure(
            "  of which: import the handler (app built)",
            statistics.median(imports),
            "A: bare import, libraries as named",
            named,
            "(part)",
        )
        revocation_check_cost(engine, token, env)


def revocation_check_cost(engine, token: str, env: dict[str, str]) -> None:
    """What every authenticated request pays for revocation: one statement (users ⋈ auth_sessions,
    two primary-key lookups), measured warm against a bare SELECT 1 on the same connection."""
    import uuid

    from sqlalchemy import literal, select
    from sqlalchemy.orm import Session

    from bench.common import timed
    from stoflow.auth.keys import KeyStore, load_local_keyring
    from stoflow.auth.tokens import verify_access_token
    from stoflow.config import Settings
    from stoflow.repositories.auth_sessions import access_state

    settings = Settings(data_dir=Path(env["STOFLOW_DATA_DIR"]))
    ring = load_local_keyring(settings.data_dir / "keys")
    claims = verify_access_token(token, keystore=KeyStore(settings, keyring=ring), settings=settings)
    session_id = uuid.UUID(claims.session_id)
    with engine.connect() as connection, connection.begin():
        session = Session(bind=connection)
        assert access_state(session, claims.user_id, session_id) is not None
        for _ in range(50):  # statement caches warm
            access_state(session, claims.user_id, session_id)
            session.execute(select(literal(1)))
        check = timed(lambda: access_state(session, claims.user_id, session_id), repeat=500)
        bare = timed(lambda: session.execute(select(literal(1))).scalar(), repeat=500)
    figure(
        "revocation check, inside the request's txn", check, "SELECT 1 on the same connection", bare, "one round trip"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
