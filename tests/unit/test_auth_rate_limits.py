"""Rate-limit and lockout decisions (the counters faked: this is the arithmetic, not the SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stoflow.errors import AccountLocked, RateLimited
from stoflow.repositories.rate_limits import Window
from stoflow.services import rate_limits

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


class FakeCounters:
    def __init__(self) -> None:
        self.windows: dict[str, Window] = {}

    def hit(self, session, key, window_s, now):
        current = self.windows.get(key)
        if current is None or current.started_at <= now - timedelta(seconds=window_s):
            current = Window(now, 1)
        else:
            current = Window(current.started_at, current.hits + 1)
        self.windows[key] = current
        return current

    def peek(self, session, key):
        return self.windows.get(key)

    def reset(self, session, key):
        self.windows.pop(key, None)


@pytest.fixture
def counters(monkeypatch):
    fake = FakeCounters()
    for name in ("hit", "peek", "reset"):
        monkeypatch.setattr(rate_limits.rate_limits, name, getattr(fake, name))
    return fake


def test_the_hit_over_the_limit_is_refused_with_the_time_left(counters):
    for _ in range(3):
        assert rate_limits.hit(None, "k", 3, 60, NOW, "login") is None
    refusal = rate_limits.hit(None, "k", 3, 60, NOW + timedelta(seconds=45), "login")
    assert refusal is not None and refusal.error is RateLimited
    assert refusal.retry_after_s == 15
    assert refusal.exception().extra["retry_after"] == 15
    assert rate_limits.hit(None, "k", 3, 60, NOW + timedelta(seconds=60), "login") is None  # new window


def test_lockout_after_max_failures_until_the_window_ends(counters):
    email = "a@example.com"
    for _ in range(4):
        rate_limits.record_failure(None, email, 900, NOW)
        assert rate_limits.locked(None, email, 5, 900, NOW) is None
    rate_limits.record_failure(None, email, 900, NOW)
    refusal = rate_limits.locked(None, email, 5, 900, NOW + timedelta(seconds=100))
    assert refusal is not None and refusal.error is AccountLocked and refusal.retry_after_s == 800
    assert rate_limits.locked(None, email, 5, 900, NOW + timedelta(seconds=900)) is None
    rate_limits.clear_failures(None, email)
    assert counters.windows == {}


def test_account_keys_do_not_store_the_address():
    key = rate_limits.account_key("someone@example.com")
    assert "someone" not in key and len(key) == 40
    assert key == rate_limits.account_key("someone@example.com")
