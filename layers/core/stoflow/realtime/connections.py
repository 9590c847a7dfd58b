"""The @connections client: push a message to one connection, ask about it, close it.

boto3's apigatewaymanagementapi client, created lazily (boto3 costs ~100 ms to import and most
invocations of a ws function never push) and once per container and endpoint. The endpoint is
https://<api>.execute-api.<region>.amazonaws.com/<stage> on AWS and the local WebSocket gateway
locally (STOFLOW_WS_CALLBACK_URL).

A GoneException means the client is no longer there: the row is deleted, so nobody pushes to it
again, and the caller is told (False) rather than failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from stoflow import runtime

log = logging.getLogger(__name__)


def _client_for(endpoint_url: str) -> Any:
    import boto3
    from botocore.config import Config

    from stoflow.config import get_settings

    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        region_name=get_settings().aws_region,
        # A push is best-effort and the sender is often a job: fail fast, never hang on it.
        config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}),
    )


# One Part per endpoint (in practice one: the WebSocket API's), declared on first use.
_parts: dict[str, runtime.Part[Any]] = {}


def _management_client(endpoint_url: str) -> Any:
    part = _parts.get(endpoint_url)
    if part is None:
        part = _parts.setdefault(
            endpoint_url, runtime.Part(f"@connections client of {endpoint_url}", lambda: _client_for(endpoint_url))
        )
    return runtime.get(part)


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return (response.get("Error") or {}).get("Code")
    return None


class ConnectionsClient:
    def __init__(self, endpoint_url: str | None = None, on_gone: Callable[[str], None] | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._on_gone = on_gone

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url:
            return self._endpoint_url
        from stoflow.config import get_settings

        url = get_settings().ws_callback_url
        if not url:
            raise RuntimeError("STOFLOW_WS_CALLBACK_URL is not configured (the WebSocket API's @connections URL)")
        return url

    def _gone(self, connection_id: str) -> None:
        log.info("ws connection %s is gone; forgetting it", connection_id)
        if self._on_gone is not None:
            self._on_gone(connection_id)
        else:
            from stoflow.realtime.presence import forget

            forget(connection_id)

    def send(self, connection_id: str, message: dict[str, Any]) -> bool:
        """Post `message` (as JSON) to the connection; False when it is gone (row deleted)."""
        data = json.dumps(message, separators=(",", ":"), default=str).encode("utf-8")
        try:
            _management_client(self.endpoint_url).post_to_connection(ConnectionId=connection_id, Data=data)
        except Exception as exc:
            if _error_code(exc) == "GoneException":
                self._gone(connection_id)
                return False
            raise
        return True

    def info(self, connection_id: str) -> dict[str, Any] | None:
        """GET @connections/{id}: connectedAt, lastActiveAt, identity; None when gone."""
        try:
            answer = _management_client(self.endpoint_url).get_connection(ConnectionId=connection_id)
        except Exception as exc:
            if _error_code(exc) == "GoneException":
                self._gone(connection_id)
                return None
            raise
        answer.pop("ResponseMetadata", None)
        return dict(answer)

    def close(self, connection_id: str) -> None:
        """DELETE @connections/{id}: the gateway closes it (and then calls $disconnect)."""
        try:
            _management_client(self.endpoint_url).delete_connection(ConnectionId=connection_id)
        except Exception as exc:
            if _error_code(exc) != "GoneException":
                raise
            self._gone(connection_id)
