"""boto3 clients, created lazily and once per container (importing boto3 alone costs ~100 ms)."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    cached = _clients.get(service)
    if cached is not None:
        return cached
    with _lock:
        if service not in _clients:
            import boto3

            from stoflow.config import get_settings

            settings = get_settings()
            _clients[service] = boto3.client(
                service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
            )
        return _clients[service]


def reset_clients() -> None:
    with _lock:
        _clients.clear()
