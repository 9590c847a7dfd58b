"""Vinted pacing arithmetic (stoflow.marketplaces.vinted.pacing) on an in-memory lane row: the
floors no configuration can go under, the gaps and caps by kind, and the pause that doubles and
waits for the seller's resume."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from stoflow.config import Settings
from stoflow.marketplaces.vinted import pacing
from stoflow.models.vinted_account import VintedConnection

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def lane() -> VintedConnection:
    return VintedConnection(id=1, write_log=[], read_log=[], pause_s=0, resume_required=False)


def plan(**values: object) -> pacing.Plan:
    return pacing.Plan.from_settings(Settings(**values))


@pytest.mark.parametrize(
    "values",
    [
        {"vinted_write_gap_min_s": 5},
        {"vinted_write_gap_max_s": 10},
        {"vinted_writes_per_hour": 80},
        {"vinted_writes_per_day": 5000},
        {"vinted_read_gap_min_s": 1},
        {"vinted_reads_per_hour": 500},
        {"vinted_pause_base_s": 300},
        {"vinted_write_gap_min_s": 40, "vinted_write_gap_max_s": 30},
        {"vinted_time_scale": 0.01, "environment": "prod"},
    ],
)
def test_configuration_cannot_go_under_the_floors(values):
    with pytest.raises(ValidationError):
        Settings(**values)


def test_the_defaults_are_the_documented_figures():
    p = plan()
    assert p.write_gap_s == (20.0, 50.0)
    assert (p.writes_per_hour, p.writes_per_day) == (40, 200)
    assert (p.pause_base_s, p.pause_max_s) == (3600, 24 * 3600)


def test_writes_are_spaced_randomly_within_the_gap_and_reads_go_meanwhile():
    p, row, rng = plan(), lane(), random.Random(7)
    pacing.record_sent(row, "write", T0, p)
    pacing.record_done(row, "write", T0 + timedelta(seconds=30), p, rng)
    gap = (pacing.slot(row, "write", T0, p) - (T0 + timedelta(seconds=30))).total_seconds()
    assert 20 <= gap <= 50
    read_gap = (pacing.slot(row, "read", T0, p) - (T0 + timedelta(seconds=30))).total_seconds()
    assert 10 <= read_gap <= 30


def test_the_hourly_and_daily_write_caps_roll():
    p, row = plan(vinted_writes_per_hour=3, vinted_writes_per_day=4), lane()
    for minute in (0, 10, 20):
        pacing.record_sent(row, "write", T0 + timedelta(minutes=minute), p)
    now = T0 + timedelta(minutes=30)
    assert pacing.slot(row, "write", now, p) == T0 + timedelta(hours=1), "the oldest write leaves the hour"
    assert pacing.slot(row, "read", now, p) == now
    pacing.record_sent(row, "write", T0 + timedelta(hours=1), p)
    later = T0 + timedelta(hours=3)
    assert pacing.slot(row, "write", later, p) == T0 + timedelta(days=1), "the day's cap holds"
    assert pacing.used(row, later, p) == {"writes_this_hour": 0, "writes_today": 4, "reads_this_hour": 0}


def test_reads_are_capped_per_hour_and_the_sold_check_can_ask():
    p, row = plan(vinted_reads_per_hour=2), lane()
    pacing.record_sent(row, "read", T0, p)
    pacing.record_sent(row, "read", T0 + timedelta(minutes=5), p)
    assert pacing.read_slot(row, T0 + timedelta(minutes=6), p) == T0 + timedelta(hours=1)


def test_a_pause_lasts_an_hour_doubles_on_repeat_and_waits_for_the_resume():
    p, row = plan(), lane()
    assert pacing.pause(row, "datadome", None, T0, p)
    assert row.paused_until == T0 + timedelta(hours=1) and row.resume_required
    assert not pacing.pause(row, "rate_limited", 7200, T0 + timedelta(minutes=1), p), "same episode"
    assert row.paused_until == T0 + timedelta(minutes=121) and row.pause_s == 3600
    pacing.resume(row, T0 + timedelta(minutes=2))
    assert pacing.paused(row, T0 + timedelta(minutes=120)), "resumed early: the pause still runs"
    assert not pacing.paused(row, T0 + timedelta(minutes=122))

    again = T0 + timedelta(hours=5)
    assert pacing.pause(row, "forbidden", None, again, p)
    assert row.pause_s == 7200 and row.paused_until == again + timedelta(hours=2)
    assert pacing.paused(row, again + timedelta(hours=30)), "not resumed: still paused after the end"
    for _ in range(6):
        pacing.resume(row, row.paused_until)
        assert pacing.pause(row, "captcha", None, row.paused_until + timedelta(minutes=1), p)
    assert row.pause_s == 24 * 3600, "doubling stops at 24 h"

    quiet = lane()
    quiet.pause_s, quiet.paused_until = 7200, T0
    assert pacing.pause(quiet, "datadome", None, T0 + timedelta(days=2), p)
    assert quiet.pause_s == 3600, "a day without trouble starts over from an hour"
