"""The key rotation function's use case: which secret a scheduled task rotates."""

from __future__ import annotations

from typing import Any

from stoflow.config import get_settings
from stoflow.services import secrets

TASKS = ("rotate_jwt_keys", "rotate_token_keys")


def rotate(task: str | None) -> dict[str, Any]:
    """Rotate what `task` names. Locally (no secrets: the keys are files under the data folder,
    and the local scheduler fires rate schedules at start) there is nothing to rotate."""
    if task not in TASKS:
        raise ValueError(f"unknown key rotation task {task!r}")
    settings = get_settings()
    arn = settings.jwt_keys_secret_arn if task == "rotate_jwt_keys" else settings.marketplace_token_keys_secret_arn
    if not arn:
        if settings.environment in ("dev", "prod"):
            raise RuntimeError(f"{task}: the secret's ARN is not configured")
        return {"skipped": "no secret configured (local keys are files in the data folder)"}
    if task == "rotate_jwt_keys":
        return {"jwt_keys": secrets.rotate_jwt_keys(arn)}
    return {"token_keys_kept": secrets.rotate_token_keys(arn)}
