"""boto3 clients, created lazily and once per container (importing boto3 alone costs ~100 ms)."""

from __future__ import annotations

from typing import Any

from stoflow import runtime

# botocore's defaults (60 s to connect, 60 s per read, legacy retries) outlast every function's
# timeout: an AWS service that is unavailable or throttling must fail fast enough to be answered
# with a 503 (stoflow.availability), not a Lambda timeout.
CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 2},
}


def _client_for(service: str) -> Any:
    import boto3
    from botocore.config import Config

    from stoflow.config import get_settings

    settings = get_settings()
    return boto3.client(
        service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url, config=Config(**CLIENT_CONFIG)
    )


# One Part per service, declared on first use: the runtime holds each client once per container.
_parts: dict[str, runtime.Part[Any]] = {}


def client(service: str) -> Any:
    part = _parts.get(service)
    if part is None:
        part = _parts.setdefault(service, runtime.Part(f"{service} client", lambda: _client_for(service)))
    return runtime.get(part)


def _secrets_provider() -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    # Built on the client above, so that its timeouts and the local endpoint apply.
    return SecretsProvider(boto3_client=client("secretsmanager"))


# Powertools Parameters' cache of secret values (each kept for the max age its reader asks).
SECRETS: runtime.Part[Any] = runtime.Part("secret values", _secrets_provider)


def secret_json(secret_id: str, *, max_age_s: float, force: bool = False) -> dict[str, Any]:
    """A JSON secret through Powertools Parameters: fetched at most every `max_age_s` per
    container (or now, with `force`: a key we do not hold yet may have been rotated in). The
    provider uses this module's client, so timeouts and the local endpoint apply. A failure
    raises the AWS error itself (ResourceNotFoundException, throttling...), not Powertools'
    wrapper, so that callers and stoflow.availability recognise it."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    provider = runtime.get(SECRETS)
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


def send_text_email(to: str, subject: str, text: str) -> None:
    """One plain-text message from the configured sender, through SES."""
    from stoflow.config import get_settings

    settings = get_settings()
    client("ses").send_email(
        Source=settings.email_sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
        },
    )
