"""The app-wide Etsy call budget: its arithmetic on hourly buckets (a fixed clock, no database),
the cadence it stretches, and the pacing and counting of Etsy requests (fake transports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from stoflow import runtime
from stoflow.domain.call_budget import ORDERS, SELLER, TARGET, TOKENS, Limits, Pace, Usage, pace, usage_from
from stoflow.domain.order_checks import Activity, interval
from stoflow.marketplaces.etsy import calls

NOW = datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
LIMITS = Limits(daily_limit=10_000, share=0.9, seller_reserve=2_000, deferred_check_s=1800)


def hour(hours_ago: int) -> datetime:
    return NOW.replace(minute=0) - timedelta(hours=hours_ago)


def test_the_rolling_day_sums_its_buckets_by_kind_and_leaves_older_ones_out():
    buckets = [
        (hour(0), ORDERS, 10, 30.0),
        (hour(1), ORDERS, 20, 20.0),
        (hour(5), TOKENS, 7, 0.0),
        (hour(24), SELLER, 3, 0.0),  # the hour the window starts in counts whole
        (hour(25), SELLER, 1_000, 0.0),  # older than the window
    ]
    usage = usage_from(buckets, NOW)
    assert (usage.orders, usage.tokens, usage.seller, usage.total) == (30, 7, 3, 40)
    assert usage.demand == 50.0
    # The last two buckets (50 base calls) cover 1 h 30 min: extrapolated to a day.
    assert usage.recent_demand == pytest.approx(50.0 * 24 / 1.5)


def test_polling_keeps_its_cadence_while_its_demand_fits_the_budget():
    usage = Usage(orders=3_000, tokens=1_000, seller=500, demand=5_700.0, recent_demand=5_700.0)
    result = pace(usage, LIMITS)
    assert result == Pace(stretch=1.0, deferred=False, allowance=6_000.0, demand=5_700.0)
    assert not result.adapted


def test_the_cadence_stretches_by_demand_over_what_the_budget_leaves_polling():
    # 9,000 usable - 1,000 token refreshes - 2,000 reserved for sellers = 6,000 a day for polling.
    # Aimed a little below it (TARGET), so that the steady state never touches the deferral line.
    usage = Usage(orders=4_000, tokens=1_000, seller=100, demand=12_000.0 * TARGET, recent_demand=12_000.0 * TARGET)
    result = pace(usage, LIMITS)
    assert result.stretch == pytest.approx(2.0) and not result.deferred and result.adapted
    step = interval(Activity(cross_listed=1, listed=1, recent_sales=0), stretch=result.stretch)
    assert step == timedelta(minutes=6)


def test_a_sudden_rise_in_demand_stretches_within_the_hour():
    usage = Usage(orders=500, demand=500.0, recent_demand=18_000.0)
    assert pace(usage, LIMITS).stretch == pytest.approx(18_000 / (7_000 * TARGET))


def test_sellers_using_more_than_their_reserve_shrink_polling_never_the_reverse():
    usage = Usage(orders=1_000, tokens=0, seller=5_000, demand=8_000.0 * TARGET)
    result = pace(usage, LIMITS)
    assert result.allowance == 4_000.0 and result.stretch == pytest.approx(2.0)


def test_checks_are_deferred_once_polling_has_spent_its_part_of_the_day():
    usage = Usage(orders=7_000, tokens=0, seller=0, demand=20_000.0)
    result = pace(usage, LIMITS)
    assert result.deferred and result.defer_s == 1800
    nothing_left = pace(Usage(tokens=4_000, seller=5_000), LIMITS)
    assert nothing_left.deferred and nothing_left.allowance == 0.0


def test_the_marketplace_floor_still_holds_under_a_stretch():
    listed = Activity(cross_listed=0, listed=3, recent_sales=0)
    assert interval(listed, stretch=1.5) == timedelta(seconds=5400)
    assert interval(listed, at_least_s=7200, stretch=1.5) == timedelta(seconds=7200)
    assert interval(Activity(0, 0, 0), stretch=9.0) is None
    assert interval(listed, stretch=0.5) == timedelta(seconds=3600)  # never faster than the cadence


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_one_container_spaces_its_requests(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(calls, "pause", waits.append)
    clock = Clock()
    pacer = calls.Pacer(1.2, clock=clock)
    assert [pacer.wait(), pacer.wait(), pacer.wait()] == pytest.approx([0.0, 1.2, 2.4])
    clock.t += 10  # a quiet spell: the next one goes at once
    assert pacer.wait() == 0.0
    assert waits == pytest.approx([1.2, 2.4])


def test_the_default_spacing_keeps_every_caller_together_under_ten_a_second():
    pacer = calls._pacer()
    from stoflow.config import get_settings

    callers = get_settings().etsy_concurrent_callers
    assert callers / pacer.spacing_s <= 10.0


def test_requests_are_counted_once_per_attempt_and_recorded_on_close(monkeypatch):
    recorded: list[tuple[str, int]] = []
    monkeypatch.setattr(calls, "record", lambda kind, n, now: recorded.append((kind, n)))
    monkeypatch.setattr(calls, "pause", lambda s: None)
    answers = iter([httpx.Response(200), httpx.ConnectError("down"), httpx.ReadTimeout("lost")])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with runtime.provided(calls.PACER, calls.Pacer(0.0)):
        transport = calls.CountingTransport(httpx.MockTransport(handler), ORDERS)
        request = httpx.Request("GET", "https://etsy.invalid/v3/application/shops/1/receipts")
        transport.handle_request(request)
        with pytest.raises(httpx.ConnectError):  # never reached Etsy: not counted
            transport.handle_request(request)
        with pytest.raises(httpx.ReadTimeout):  # sent: Etsy may have counted it
            transport.handle_request(request)
    transport.close()
    transport.close()  # recorded once
    assert recorded == [(ORDERS, 2)]


def test_the_pace_is_read_at_most_once_a_minute_per_container():
    clock = Clock()
    cache = calls.PaceCache(clock=clock)
    reads: list[int] = []

    def read() -> Pace:
        reads.append(1)
        return Pace(stretch=float(len(reads)))

    assert cache.get(NOW, read).stretch == 1.0
    clock.t += 59
    assert cache.get(NOW + timedelta(seconds=59), read).stretch == 1.0
    clock.t += 2
    assert cache.get(NOW + timedelta(seconds=61), read).stretch == 2.0
    assert cache.get(NOW + timedelta(days=30), read).stretch == 3.0  # another moment: read again
    assert len(reads) == 3


def test_a_count_the_database_refuses_is_lost_and_said_a_count_closed_inside_a_session_is_raised(monkeypatch):
    from sqlalchemy.exc import OperationalError

    from stoflow.db.checkout_guard import NestedCheckout

    monkeypatch.setattr(calls, "pause", lambda s: None)
    transport = calls.CountingTransport(httpx.MockTransport(lambda request: httpx.Response(200)), SELLER)

    def refused(kind: str, n: int, now: datetime) -> None:
        raise OperationalError("INSERT", {}, Exception("the database is down"))

    monkeypatch.setattr(calls, "record", refused)
    transport.handle_request(httpx.Request("GET", "https://openapi.etsy.com/v3/application/users/me"))
    transport.close()  # the call was made and its work done: not failed for its count

    def nested(kind: str, n: int, now: datetime) -> None:
        raise NestedCheckout("a second connection while one is held")

    monkeypatch.setattr(calls, "record", nested)
    transport.handle_request(httpx.Request("GET", "https://openapi.etsy.com/v3/application/users/me"))
    with pytest.raises(NestedCheckout):
        transport.close()
