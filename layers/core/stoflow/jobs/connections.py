"""Is a marketplace connected for this tenant? Each marketplace plugs its own check in.

POST /jobs refuses jobs for a marketplace that is not connected with a clear problem, instead of
queueing work that can only fail."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

ConnectionCheck = Callable[[Session], bool]

_checks: dict[str, ConnectionCheck] = {}


def register_connection_check(marketplace: str, check: ConnectionCheck) -> None:
    _checks[marketplace] = check


def is_connected(session: Session, marketplace: str) -> bool:
    _load_marketplace_checks()
    check = _checks.get(marketplace)
    return check is not None and check(session)


def _load_marketplace_checks() -> None:
    from stoflow.jobs.handlers import MARKETPLACES, _marketplace_module

    for marketplace in MARKETPLACES:
        if marketplace not in _checks:
            module = _marketplace_module(marketplace, "connection")
            if module is not None:
                module.register_connection_check()
