"""The local cloud is a list of parts, started in order and stopped in reverse.

The database comes first and the gateways last, so nothing answers requests before the schema is
migrated, and on the way down no request arrives after the database is gone. Later parts (the
WebSocket gateway, the SQS poller, the scheduler) are more entries in the same list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

log = logging.getLogger("stoflow.local")


class Part(Protocol):
    name: str

    def start(self) -> None:
        """Bring the part up; return once it is ready (a gateway is listening)."""

    def stop(self) -> None:
        """Bring it down; safe to call once after start, and must not raise for a clean stop."""

    def describe(self) -> list[str]:
        """What a developer needs to reach it (URLs, folders), one line each."""


class Stack:
    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts = list(parts)
        self._started: list[Part] = []
        self.failed: Part | None = None

    def start(self) -> None:
        """Start every part in order; if one fails, stop those already up, then re-raise."""
        for part in self.parts:
            try:
                part.start()
            except BaseException:
                # Said by the caller, once: in two lines when a person can act on it.
                self.failed = part
                self.stop()
                raise
            self._started.append(part)
            log.info("local cloud: %s started", part.name)

    def stop(self) -> bool:
        """Stop the started parts in reverse order; one failing does not keep the others up.
        True when every part stopped cleanly."""
        clean = True
        while self._started:
            part = self._started.pop()
            try:
                part.stop()
            except Exception:
                clean = False
                log.exception("local cloud: %s did not stop cleanly", part.name)
            else:
                log.info("local cloud: %s stopped", part.name)
        return clean
