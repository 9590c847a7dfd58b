"""Vinted setup: the browser extension paired, and logged in to Vinted (as it last reported)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.marketplaces.common.setup import step
from stoflow.marketplaces.vinted.connection import is_connected, reported_session


def setup_steps(session: Session) -> list[dict[str, Any]]:
    reported = reported_session(session)
    return [
        step("vinted_extension", is_connected(session), "Install the StoFlow browser extension and pair it."),
        step(
            "vinted_session",
            bool(reported is not None and reported.logged_in),
            "Log in to Vinted in the browser where the extension runs.",
        ),
    ]
