"""One step of a marketplace account's setup checklist (GET /marketplaces)."""

from __future__ import annotations

from typing import Any


def step(code: str, done: bool, todo: str) -> dict[str, Any]:
    """`todo` says what to do next, in words a reseller follows; it is kept once done (the
    dashboard shows it struck through)."""
    return {"code": code, "done": done, "message": todo}
