"""The wall clock identity code reads (one function, so tests can move time without sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
