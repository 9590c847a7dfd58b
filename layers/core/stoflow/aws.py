"""boto3 clients, created lazily and once per container (importing boto3 alone costs ~100 ms)."""

from __future__ import annotations

import threading
from typing import Any

# botocore's defaults (60 s to connect, 60 s per read, legacy retries) outlast every function's
# timeout: an AWS service that is unavailable or throttling must fail fast enough to be answered
# with a 503 (stoflow.availability), not a Lambda timeout.
CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 2},
}

_lock = threading.Lock()
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    cached = _clients.get(service)
    if cached is not None:
        return cached
    with _lock:
        if service not in _clients:
            import boto3
            from botocore.config import Config

            from stoflow.config import get_settings

            settings = get_settings()
            _clients[service] = boto3.client(
                service,
                region_name=settings.aws_region,
                endpoint_url=settings.aws_endpoint_url,
                config=Config(**CLIENT_CONFIG),
            )
        return _clients[service]


def reset_clients() -> None:
    with _lock:
        _clients.clear()
