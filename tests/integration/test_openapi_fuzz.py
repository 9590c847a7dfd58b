"""Schemathesis over every HTTP function's OpenAPI document, every check on, against the real
PostgreSQL: whatever a client sends, the answer is never a 5xx (and conforms to the document).

Bounded and reproducible: a fixed seed, derandomized Hypothesis and a few examples per operation,
so a failure found once is found again, and the run takes about a minute on two cores.

Each case carries a bearer token of a fresh session of one signed-in user (logout is one of the
operations: it must not end the others' session), issued straight by the session service.
"""

from __future__ import annotations

import os
import re
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from stoflow import aws, runtime
from stoflow.config import get_settings
from tests.support.api import load_function, register_and_login

# The HTTP functions built with stoflow.api.app.create_app (health is a bare handler: no document).
FUNCTIONS = ("account", "auth", "catalog", "extension", "jobs", "marketplaces", "products", "vinted", "ws_tickets")
SEED = 1104
# Schema-valid requests a service refuses on purpose (4xx problems), for a rule the document
# does not state: (operation, problem code). Anything else schemathesis reports fails the test.
DOMAIN_REFUSALS = {
    ("GET /marketplaces/{marketplace}/callback", "invalid_oauth_state"),  # a state this user started
    ("GET /products", "invalid_sort"),  # sort keys are named columns
    ("GET /products", "unknown_status"),
    ("PATCH /marketplaces/{marketplace}/settings", "unknown_setting"),  # each marketplace its own
    ("POST /jobs", "unknown_action"),  # actions are the marketplace's registered handlers
    ("GET /orders", "unknown_marketplace"),  # marketplaces are the registered ones
    ("POST /auth/register", "weak_password"),  # the password policy is a setting
    ("POST /auth/verify-email", "invalid_verification_token"),  # tokens come by email
    ("POST /products", "unknown_catalog_id"),  # catalogue ids must exist
    ("PATCH /products/{product_id}", "unknown_catalog_id"),
    ("POST /account/delete", "wrong_password"),  # the password is checked, not described
    ("POST /auth/password/reset", "invalid_reset_token"),  # tokens come by email
    ("POST /auth/password/reset", "weak_password"),
    ("POST /auth/password/change", "wrong_password"),
    ("POST /auth/password/change", "weak_password"),
    ("POST /marketplaces/{marketplace}/notifications", "invalid_signature"),  # eBay signs its notices
}
EXAMPLES = int(os.environ.get("STOFLOW_FUZZ_EXAMPLES", "8"))


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES, "deterministic": True},
            # The stateful phase chains links the documents do not declare: nothing to gain here.
            "phases": {"stateful": {"enabled": False}},
        }
    )


@pytest.fixture
def fuzz_world(identity, jobs_world, monkeypatch):
    """What the functions need beyond the database: the images bucket, marketplace apps
    configured (connect builds an authorize URL; nothing reaches a marketplace), one user."""
    monkeypatch.setenv("STOFLOW_EBAY_CLIENT_ID", "fuzz-client")
    monkeypatch.setenv("STOFLOW_EBAY_CLIENT_SECRET", "fuzz-secret")
    monkeypatch.setenv("STOFLOW_EBAY_RU_NAME", "fuzz-ru-name")
    monkeypatch.setenv("STOFLOW_ETSY_KEYSTRING", "fuzz-keystring")
    monkeypatch.setenv("STOFLOW_ETSY_SHARED_SECRET", "fuzz-shared-secret")
    monkeypatch.setenv("STOFLOW_ETSY_REDIRECT_URI", "https://dashboard.example/etsy/callback")
    monkeypatch.setenv("STOFLOW_EBAY_VERIFICATION_TOKEN", "fuzz-verification-token-0123456789abcdef")
    monkeypatch.setenv("STOFLOW_EBAY_NOTIFICATION_ENDPOINT", "https://api.example/marketplaces/ebay/notifications")
    get_settings.cache_clear()
    runtime.reset()
    settings = get_settings()
    aws.client("s3").create_bucket(
        Bucket=settings.images_bucket, CreateBucketConfiguration={"LocationConstraint": settings.aws_region}
    )
    account = register_and_login()
    yield account
    runtime.reset()


def _fresh_token(user_id: int) -> str:
    from stoflow.db.tenancy import shared_session
    from stoflow.repositories import users
    from stoflow.services.auth import _start_session

    with shared_session() as session:
        account = users.get(session, user_id)
        assert account is not None
        return _start_session(session, account.id, account.role).access_token


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_server_error_on_any_operation(fuzz_world, function: str) -> None:
    from schemathesis.generation import GenerationMode

    app = load_function(function).app
    schema = schemathesis.openapi.from_asgi(app.openapi_url, app, config=_config())
    user_id = fuzz_world["id"]
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"no operation in {app.openapi_url}"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            def run(case: Any) -> None:
                try:
                    case.call_and_validate(headers={"Authorization": f"Bearer {_fresh_token(user_id)}"})
                except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup: the checks that failed
                    checks, status, code = _summary(exc)
                    if checks == ["ST202"] and (case.operation.label, code) in DOMAIN_REFUSALS:
                        return
                    failures.append(f"{case.operation.label}: {checks} [{status} {code}]\n{exc}")

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # No negative case exists (an operation taking nothing at all): nothing to send.
                assert mode == GenerationMode.NEGATIVE, operation.label
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:8])


def _summary(exc: BaseException) -> tuple[list[str], str, str]:
    """The failed checks' codes (ST…), the answer's status and its problem code."""
    text = str(exc)
    checks = sorted(set(re.findall(r"- (ST\d+) ", text)))
    status = re.search(r"\[(\d{3})\] ", text)
    code = re.search(r'"code":"([a-z_]+)"', text)
    return checks, status.group(1) if status else "?", code.group(1) if code else ""
