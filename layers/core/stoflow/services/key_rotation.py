"""The key rotation function's use case: which secret a scheduled task rotates."""

from __future__ import annotations

from typing import Any

from stoflow.config import get_settings
from stoflow.services import secrets


def rotate(task: str | None) -> dict[str, Any]:
    settings = get_settings()
    if task == "rotate_jwt_keys" and settings.jwt_keys_secret_arn:
        return {"jwt_keys": secrets.rotate_jwt_keys(settings.jwt_keys_secret_arn)}
    if task == "rotate_token_keys" and settings.marketplace_token_keys_secret_arn:
        return {"token_keys_kept": secrets.rotate_token_keys(settings.marketplace_token_keys_secret_arn)}
    raise ValueError(f"unknown or unconfigured key rotation task {task!r}")
