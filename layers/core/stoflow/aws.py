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


_secrets_provider: Any = None


def secret_json(secret_id: str, *, max_age_s: float, force: bool = False) -> dict[str, Any]:
    """A JSON secret through Powertools Parameters: fetched at most every `max_age_s` per
    container (or now, with `force`: a key we do not hold yet may have been rotated in). The
    provider uses this module's client, so timeouts and the local endpoint apply. A failure
    raises the AWS error itself (ResourceNotFoundException, throttling...), not Powertools'
    wrapper, so that callers and stoflow.availability recognise it."""
    global _secrets_provider
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    secrets_client = client("secretsmanager")
    with _lock:
        if _secrets_provider is None:
            _secrets_provider = SecretsProvider(boto3_client=secrets_client)
        provider = _secrets_provider
    try:
        value = provider.get(secret_id, max_age=max(1, int(max_age_s)), transform="json", force_fetch=force)
    except GetParameterError as exc:
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            raise cause from None
        raise
    if not isinstance(value, dict):
        raise ValueError(f"secret {secret_id} is not a JSON object")
    return value


def reset_secrets() -> None:
    """Forget the cached secret values (the next read fetches them)."""
    global _secrets_provider
    with _lock:
        _secrets_provider = None


def reset_clients() -> None:
    """Forget clients and cached secrets (tests, the local cloud)."""
    global _secrets_provider
    with _lock:
        _clients.clear()
        _secrets_provider = None
