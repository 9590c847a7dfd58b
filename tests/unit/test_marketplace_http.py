"""The marketplace HTTP client: retries with backoff on 429 and 5xx honouring Retry-After, every
failure classified for the job system, timeouts set, and no token in any log line."""

from __future__ import annotations

import contextlib
import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from stoflow.config import get_settings
from stoflow.jobs.errors import PermanentJobError, RetryableJobError, UnknownOutcomeError
from stoflow.marketplaces.common.http import MarketplaceApiError, MarketplaceHttp, parse_retry_after
from stoflow.marketplaces.common.jobs import job_error

TOKEN = "v^1.1#i^1#SECRET-ACCESS-TOKEN-abc123"


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("STOFLOW_MARKETPLACE_MAX_RETRIES", "3")
    monkeypatch.setenv("STOFLOW_MARKETPLACE_RETRY_AFTER_MAX_S", "20")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def scripted(*answers):
    """A transport answering each request with the next answer (a status, (status, headers), or an
    exception class raised as if the network failed)."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, type) and issubclass(answer, Exception):
            raise answer("fake network failure", request=request)
        status, headers, body = (answer, {}, None) if isinstance(answer, int) else (*answer, None)[:3]
        return httpx.Response(status, headers=headers, json=body if body is not None else {"ok": status < 400})

    return httpx.MockTransport(handle), seen


def client(transport, sleeps):
    return MarketplaceHttp(
        "ebay", "https://api.ebay.test", transport=transport, sleep=sleeps.append, rng=random.Random(7)
    )


def test_429_waits_as_long_as_retry_after_then_succeeds():
    transport, seen = scripted((429, {"Retry-After": "7"}), (503, {}), 200)
    sleeps: list[float] = []
    response = client(transport, sleeps).request("GET", "/sell/inventory/v1/offer")
    assert response.status_code == 200 and len(seen) == 3
    assert sleeps[0] == 7.0  # Retry-After honoured exactly
    assert 0 < sleeps[1] <= get_settings().marketplace_backoff_base_s * 2  # then exponential backoff


def test_retry_after_as_an_http_date():
    later = datetime.now(UTC) + timedelta(seconds=90)
    assert 85 <= parse_retry_after(format_datetime(later, usegmt=True)) <= 90
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_a_retry_after_longer_than_we_wait_goes_back_to_the_job_system():
    transport, seen = scripted((429, {"Retry-After": "600"}))
    sleeps: list[float] = []
    with pytest.raises(MarketplaceApiError) as caught:
        client(transport, sleeps).request("POST", "/sell/inventory/v1/offer/1/publish")
    assert len(seen) == 1 and sleeps == []
    error = job_error(caught.value)
    assert isinstance(error, RetryableJobError) and error.retry_after_s == 600


def test_5xx_on_reads_is_retried_then_retryable():
    transport, seen = scripted(500, 502, 503, 504)
    sleeps: list[float] = []
    with pytest.raises(MarketplaceApiError) as caught:
        client(transport, sleeps).request("GET", "/sell/fulfillment/v1/order")
    assert len(seen) == 4 and len(sleeps) == 3
    assert sleeps == sorted(sleeps), "backoff grows"
    assert isinstance(job_error(caught.value), RetryableJobError)


def test_a_500_on_a_write_may_have_written():
    transport, seen = scripted(500)
    with pytest.raises(MarketplaceApiError) as caught:
        client(transport, []).request("POST", "/sell/inventory/v1/offer")
    assert len(seen) == 1
    assert isinstance(job_error(caught.value), UnknownOutcomeError)


def test_4xx_is_permanent_with_the_marketplace_error_kept():
    body = {
        "errors": [
            {
                "errorId": 25002,
                "domain": "API_INVENTORY",
                "category": "REQUEST",
                "message": "Offer entity already exists",
                "parameters": [{"name": "offerId", "value": "9"}],
            }
        ]
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=body))
    with pytest.raises(MarketplaceApiError) as caught:
        client(transport, []).request("POST", "/sell/inventory/v1/offer", json={})
    assert (caught.value.kind, caught.value.code, caught.value.status) == ("permanent", "25002", 400)
    assert caught.value.errors[0]["parameters"] == [{"name": "offerId", "value": "9"}]
    assert isinstance(job_error(caught.value), PermanentJobError)


def test_no_answer_to_a_write_is_an_unknown_outcome_and_never_repeated():
    transport, seen = scripted(httpx.ReadTimeout)
    with pytest.raises(MarketplaceApiError) as caught:
        client(transport, []).request("POST", "/v3/application/shops/1/listings")
    assert len(seen) == 1 and caught.value.kind == "unknown"


def test_no_answer_to_a_read_is_retried_and_unreachable_is_retryable():
    transport, seen = scripted(httpx.ReadTimeout, 200)
    assert client(transport, []).request("GET", "/x").status_code == 200 and len(seen) == 2
    transport, seen = scripted(*[httpx.ConnectError] * 4)
    with pytest.raises(MarketplaceApiError) as caught:
        client(transport, []).request("POST", "/x")  # never reached: safe to retry even a write
    assert len(seen) == 4 and caught.value.kind == "retryable"


def test_timeouts_are_set():
    http = MarketplaceHttp("etsy", "https://openapi.etsy.test")
    timeout = http._client.timeout
    settings = get_settings()
    assert (timeout.connect, timeout.read) == (
        settings.marketplace_connect_timeout_s,
        settings.marketplace_read_timeout_s,
    )


def test_no_token_in_any_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    transport, _ = scripted((429, {"Retry-After": "1"}), 401, httpx.ReadTimeout)
    http = client(transport, [])
    headers = {"Authorization": f"Bearer {TOKEN}", "x-api-key": "keystring:SHARED-SECRET-xyz"}
    for method in ("GET", "POST"):
        with contextlib.suppress(MarketplaceApiError):
            http.request(
                method,
                "/v3/application/users/me",
                headers=headers,
                data={"refresh_token": TOKEN} if method == "POST" else None,
            )
    assert caplog.records, "the calls were logged"
    for record in caplog.records:
        text = record.getMessage() + str(record.args) + (record.exc_text or "")
        assert TOKEN not in text and "SHARED-SECRET" not in text, text


# --- the job attempt's deadline -----------------------------------------------------------------


def test_inside_a_job_each_call_gets_at_most_the_time_left():
    from stoflow.jobs.deadline import running_until

    transport, seen = scripted(200)
    with running_until(4.0):
        client(transport, []).request("GET", "/sell/inventory/v1/offer")
    timeout = seen[0].extensions["timeout"]
    assert 0 < timeout["read"] <= 4.0 and 0 < timeout["connect"] <= 4.0
    assert get_settings().marketplace_read_timeout_s > 4.0  # shortened, not the client's own


def test_outside_a_job_the_clients_own_timeouts_apply():
    transport, seen = scripted(200)
    client(transport, []).request("GET", "/sell/inventory/v1/offer")
    assert seen[0].extensions["timeout"]["read"] == get_settings().marketplace_read_timeout_s


def test_past_the_deadline_no_call_starts_and_the_job_is_retried_later():
    from stoflow.jobs.deadline import running_until

    transport, seen = scripted(200)
    with running_until(0.0), pytest.raises(MarketplaceApiError) as caught:
        client(transport, []).request("POST", "/sell/inventory/v1/offer")
    assert seen == []
    assert caught.value.code == "deadline" and isinstance(job_error(caught.value), RetryableJobError)


def test_a_retry_pause_longer_than_the_time_left_is_not_taken():
    from stoflow.jobs.deadline import running_until

    transport, seen = scripted((429, {"Retry-After": "7"}), 200)
    sleeps: list[float] = []
    with running_until(5.0), pytest.raises(MarketplaceApiError) as caught:
        client(transport, sleeps).request("GET", "/sell/inventory/v1/offer")
    assert len(seen) == 1 and sleeps == []
    assert caught.value.retry_after_s == 7.0
